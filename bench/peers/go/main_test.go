package main

import (
	"encoding/json"
	"os"
	"testing"
	"time"
)

// The 3-cloud fixture decodes into the models, statuses and timestamps typed.
func TestFixture(t *testing.T) {
	text, err := os.ReadFile("../../../test/data/allocations.json")
	if err != nil {
		t.Fatal(err)
	}
	var all Allocations
	if err := json.Unmarshal(text, &all); err != nil {
		t.Fatal(err)
	}
	if len(all.Iterable) != 3 || all.Iterable[2].Status.Cloud != StatusDisconnected ||
		all.Iterable[0].Urls.Vanity == nil || all.Iterable[2].Urls.Vanity != nil {
		t.Fatalf("decoded %+v", all)
	}
	want := time.Date(2026, 10, 3, 8, 15, 42, 250e6, time.UTC)
	if got := all.Iterable[0].Updated.Value; !got.Equal(want) {
		t.Fatalf("updated %v, want %v", got, want)
	}
}
