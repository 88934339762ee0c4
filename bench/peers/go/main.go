// Peer of snapshot_polling in Go: net/http's client with a Transport of P connections to the host, P goroutines
// each looping GET /allocations (one request in flight each), the reply decoded by encoding/json into typed
// models and its clouds counted, for N requests after the same warm-up as ours. bench/run.sh runs it with
// GOMAXPROCS=1, like ours on one thread.
// Prints one CSV row in snapshot_polling's --csv columns ("-" where this peer cannot tell); exits 1 when a
// request failed or no cloud was read.
// Usage: pieces-peer-go URL P N
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ---- the models: the members of the API's Allocations, typed as the C++ models hold them; encoding/json skips
// members it does not know. Only the count of clouds is read back: the rest is there to be decoded.

// AllocationStatus is the status of a cloud or of one of its urls; any string this version does not know reads
// as StatusUnknown.
type AllocationStatus uint8

const (
	StatusUnknown AllocationStatus = iota
	StatusPending
	StatusRunning
	StatusFailed
	StatusSucceeded
	StatusDisconnected
)

// UnmarshalText reads the wire spelling (a switch on the bytes: no string is made).
func (s *AllocationStatus) UnmarshalText(text []byte) error {
	switch string(text) {
	case "PENDING":
		*s = StatusPending
	case "RUNNING":
		*s = StatusRunning
	case "FAILED":
		*s = StatusFailed
	case "SUCCEEDED":
		*s = StatusSucceeded
	case "DISCONNECTED":
		*s = StatusDisconnected
	default:
		*s = StatusUnknown
	}
	return nil
}

// SemanticVersion is the schema's version; any string this version does not know reads as SemanticUnknown.
type SemanticVersion uint8

const (
	SemanticUnknown SemanticVersion = iota
	SemanticMajor0Minor0Patch1
)

func (v *SemanticVersion) UnmarshalText(text []byte) error {
	*v = SemanticUnknown
	if string(text) == "MAJOR_0_MINOR_0_PATCH_1" {
		*v = SemanticMajor0Minor0Patch1
	}
	return nil
}

type EmbeddedModelSchema struct {
	Migration int64           `json:"migration"`
	Semantic  SemanticVersion `json:"semantic"`
}

type GroupedTimestamp struct {
	Schema   *EmbeddedModelSchema `json:"schema"`
	Value    time.Time            `json:"value"` // RFC 3339, read by time.Time itself
	Readable *string              `json:"readable"`
}

type AllocationCloudUrl struct {
	Schema *EmbeddedModelSchema `json:"schema"`
	URL    string               `json:"url"`
	Status AllocationStatus     `json:"status"`
}

type AllocationCloudUrls struct {
	Schema *EmbeddedModelSchema `json:"schema"`
	Base   AllocationCloudUrl   `json:"base"`
	ID     AllocationCloudUrl   `json:"id"`
	Vanity *AllocationCloudUrl  `json:"vanity"`
}

type AllocationCloudStatus struct {
	Schema *EmbeddedModelSchema `json:"schema"`
	Cloud  AllocationStatus     `json:"cloud"`
}

type AllocationCloud struct {
	Schema  *EmbeddedModelSchema  `json:"schema"`
	ID      string                `json:"id"`
	User    string                `json:"user"`
	Urls    AllocationCloudUrls   `json:"urls"`
	Status  AllocationCloudStatus `json:"status"`
	Project string                `json:"project"`
	Updated *GroupedTimestamp     `json:"updated"`
	Version *string               `json:"version"`
	Region  *string               `json:"region"`
}

type Allocations struct {
	Schema   *EmbeddedModelSchema `json:"schema"`
	Iterable []AllocationCloud    `json:"iterable"`
}

// ---- the polling

// snapshot makes one GET /allocations and returns its clouds.
func snapshot(client *http.Client, url string) (int, error) {
	reply, err := client.Get(url)
	if err != nil {
		return 0, err
	}
	defer reply.Body.Close()
	body, err := io.ReadAll(reply.Body) // to the end: the connection goes back to the pool
	if err != nil {
		return 0, err
	}
	if reply.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("HTTP status %d", reply.StatusCode)
	}
	var all Allocations
	if err := json.Unmarshal(body, &all); err != nil {
		return 0, err
	}
	return len(all.Iterable), nil // touch the result
}

type tally struct {
	latenciesUs []uint32
	clouds      int
	errors      int
	firstError  error
}

// poll runs P goroutines sharing client; they stop once total requests were issued.
func poll(client *http.Client, url string, pollers, total int, timed bool) tally {
	var issued int64
	var mu sync.Mutex
	var all tally
	var wg sync.WaitGroup
	for p := 0; p < pollers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine tally // each goroutine its own, merged at the end
			if timed {
				mine.latenciesUs = make([]uint32, 0, total/pollers+1)
			}
			for atomic.AddInt64(&issued, 1) <= int64(total) {
				t0 := time.Now()
				clouds, err := snapshot(client, url)
				if err != nil {
					mine.errors++
					if mine.firstError == nil {
						mine.firstError = err
					}
				}
				mine.clouds += clouds
				if timed {
					mine.latenciesUs = append(mine.latenciesUs, uint32(time.Since(t0).Microseconds()))
				}
			}
			mu.Lock()
			all.latenciesUs = append(all.latenciesUs, mine.latenciesUs...)
			all.clouds += mine.clouds
			all.errors += mine.errors
			if all.firstError == nil {
				all.firstError = mine.firstError
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return all
}

func usage() (cpuUs float64, maxRssKb int64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	us := func(t syscall.Timeval) float64 { return float64(t.Sec)*1e6 + float64(t.Usec) }
	return us(ru.Utime) + us(ru.Stime), ru.Maxrss // kB on Linux
}

func usageError() {
	fmt.Fprintln(os.Stderr, "usage: pieces-peer-go URL P N")
	os.Exit(2)
}

func main() {
	if len(os.Args) != 4 {
		usageError()
	}
	url := strings.TrimRight(os.Args[1], "/") + "/allocations"
	pollers, err1 := strconv.Atoi(os.Args[2])
	requests, err2 := strconv.Atoi(os.Args[3])
	if err1 != nil || err2 != nil || pollers < 1 || requests < 0 {
		usageError()
	}
	if requests < pollers {
		requests = pollers
	}
	// One request in flight per goroutine: P connections, all kept between requests. No proxy (a bare
	// Transport reads none from the environment) and no gzip asked for, as ours.
	client := &http.Client{Transport: &http.Transport{
		MaxConnsPerHost:     pollers,
		MaxIdleConnsPerHost: pollers,
		MaxIdleConns:        pollers,
		DisableCompression:  true,
	}}

	warmup := 2 * pollers
	if warmup < 500 {
		warmup = 500
	}
	poll(client, url, pollers, warmup, false) // opens the connections
	cpu0, _ := usage()
	t0 := time.Now()
	result := poll(client, url, pollers, requests, true)
	seconds := time.Since(t0).Seconds()
	cpu1, maxRss := usage()

	lat := result.latenciesUs
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(q float64) uint32 {
		if len(lat) == 0 {
			return 0
		}
		i := int(q * float64(len(lat)))
		if i > len(lat)-1 {
			i = len(lat) - 1
		}
		return lat[i]
	}
	fmt.Printf("go,%d,%d,%d,%.0f,%d,%d,%d,%d,%.2f,-,-,%d,-,-\n", pollers, pollers, requests,
		float64(requests)/seconds, pct(0.50), pct(0.90), pct(0.99), pct(1), (cpu1-cpu0)/float64(requests), maxRss)
	if result.errors > 0 || result.clouds == 0 {
		fmt.Fprintf(os.Stderr, "pieces-peer-go: %d failed requests, %d clouds at P=%d (first error: %v)\n",
			result.errors, result.clouds, pollers, result.firstError)
		os.Exit(1)
	}
}
