# The chart of bench/run.sh --peers: peers.csv (who,C,clouds,rps,cpu_us: the medians of the floor comparison)
# as clustered bars, one colour per client, in four panels: CPU microseconds per request (top) and requests per
# second (bottom), for the 3-cloud body at C = 1, 16 and 256 (left) and the 200-cloud body at C = 16 (right, on
# axes of its own: about 10x the CPU and a tenth of the requests). C = 64 is left out. A client missing from
# the CSV has no bar and no key entry; a group missing from it is left empty.
# Usage: gnuplot -e "csv='build/release/bench/peers.csv'; out='peers.svg'; date='2026-11-24'" bench/peers_chart.gp
if (!exists("csv")) csv = "peers.csv"
if (!exists("out")) out = "peers.svg"
if (!exists("date")) date = strftime("%Y-%m-%d", time(0))

set encoding utf8
# no mouse JavaScript, no external font: the SVG stands alone
set terminal svg size 1000,640 dynamic enhanced font "sans-serif,11" background rgb "white"
set output out
set datafile separator ","

clients = "floor ours rust go wrk"
label(i) = i == 1 ? "floor: hand-written Beast loop" : \
           i == 2 ? "ours: pieces-allocations" : \
           i == 3 ? "rust: hyper + serde" : \
           i == 4 ? "go: net/http + encoding/json" : "wrk: HTTP limit, no parsing"
colour(i) = i == 1 ? "#8c8c8c" : i == 2 ? "#1f6fd1" : i == 3 ? "#d9731a" : i == 4 ? "#20a5a5" : "#c8c8c8"
is(i) = strcol(1) eq word(clients, i)

# the group of a row: 0, 1, 2 for the 3-cloud body at C = 1, 16, 256; 0 for the 200-cloud body at C = 16; else NaN
group3(c, clouds) = clouds == 3 ? (c == 1 ? 0 : c == 16 ? 1 : c == 256 ? 2 : NaN) : NaN
group200(c, clouds) = clouds == 200 && c == 16 ? 0 : NaN
is_group(g) = g == g
charted(c, clouds) = is_group(group3(c, clouds)) || is_group(group200(c, clouds))

# The clients with a bar, in the order above: their slot in each cluster (0 when absent). (stats over a file
# with no valid row leaves its variables undefined: the header alone, or "-" for every value.)
array slot[5]
n = 0
do for [i = 1:5] {
  undefine present_*
  stats csv using (is(i) && charted(column(2), column(3)) && valid(4) && valid(5) ? 1 : 0) name "present" nooutput
  slot[i] = 0
  if (exists("present_sum") && present_sum > 0) { n = n + 1; slot[i] = n }
}
shown = n
if (n == 0) n = 1
bw = 0.8 / n
# the x of client i's bar in group g (NaN when the client is absent)
bar(g, i) = slot[i] > 0 ? g + (slot[i] - (n + 1) / 2.0) * bw : NaN

# The tallest bar of each panel, for its y range (before any range is set: stats keeps to the ranges in force).
stats csv using (is_group(group3(column(2), column(3))) ? column(5) : 0) name "cpu3" nooutput
stats csv using (is_group(group200(column(2), column(3))) ? column(5) : 0) name "cpu200" nooutput
stats csv using (is_group(group3(column(2), column(3))) ? column(4) : 0) name "rps3" nooutput
stats csv using (is_group(group200(column(2), column(3))) ? column(4) : 0) name "rps200" nooutput
tallest(name) = exists(name) ? value(name) : 0
# The y axis of a panel whose tallest bar is M: from 0, with room for the values printed above the bars; none
# and a note when the panel has no bar.
axis = "if (M > 0) { set yrange [0:M * 1.15]; set ytics nomirror out scale 0.5; unset label 1 } \
        else { set yrange [0:1]; unset ytics; set label 1 'not in the CSV' at graph 0.5, 0.5 center tc rgb '#888888' }"
cpu(v) = v >= 100 ? sprintf("%.0f", v) : sprintf("%.1f", v)
kilo(v) = v >= 100000 ? sprintf("%.0fk", v / 1000) : v >= 1000 ? sprintf("%.1fk", v / 1000) : sprintf("%.0f", v)

# A panel: G(C, clouds) its groups, V the column of its values, F(v) their printed form.
panel = "plot for [i = 1:5] csv using (bar(G(column(2), column(3)), i)):(is(i) ? column(V) : NaN) \
           with boxes lc rgb colour(i) notitle, \
         for [i = 1:5] csv using (bar(G(column(2), column(3)), i)):(is(i) ? column(V) : NaN):(F(column(V))) \
           with labels offset 0, 0.6 font ',8' tc rgb '#333333' notitle"
# (gnuplot 5.4 crashes plotting a file with no data row: the header alone)
if (shown == 0) panel = "plot NaN notitle"

set style fill solid 1.0 border lc rgb "white"
set boxwidth bw absolute
set grid ytics lc rgb "#dddddd" lw 1 dt solid
set border 3 lc rgb "#555555"
set tics nomirror out scale 0.5
set xtics scale 0

heading = "Polling nginx from one client thread, C requests in flight on C connections"
set multiplot title sprintf("%s (bench/run.sh --peers, %s)", heading, date) font ",13" noenhanced

# The key, for all four panels, in two rows under the title: an empty plot as wide as the chart.
set lmargin at screen 0.02; set rmargin at screen 0.98; set bmargin at screen 0.87; set tmargin at screen 0.93
unset border; unset tics; unset grid
set xrange [0:1]; set yrange [0:1]
set key horizontal maxcols 3 Left reverse samplen 1.5 width 2 at screen 0.5, 0.9 center center noenhanced
plot for [i = 1:5] NaN with boxes lc rgb colour(i) title (slot[i] > 0 ? label(i) : "")
set key off; set border 3; set grid ytics
set tics nomirror out scale 0.5; set xtics scale 0; unset x2tics; unset y2tics

# Panels, in screen coordinates: left the 3-cloud body (3 groups), right the 200-cloud body (1 group); top
# CPU, bottom requests/s.
left_l = 0.08; left_r = 0.68; right_l = 0.76; right_r = 0.97
top_b = 0.48; top_t = 0.79; bottom_b = 0.07; bottom_t = 0.365

G(c, clouds) = group3(c, clouds); V = 5; F(v) = cpu(v)
set lmargin at screen left_l; set rmargin at screen left_r
set bmargin at screen top_b; set tmargin at screen top_t
set title "CPU µs per request, lower is better" noenhanced
set xrange [-0.5:2.5]; M = tallest("cpu3_max"); @axis
set xtics ("3-cloud C=1" 0, "3-cloud C=16" 1, "3-cloud C=256" 2)
set format y "%.0f"
@panel

G(c, clouds) = group200(c, clouds)
set lmargin at screen right_l; set rmargin at screen right_r
set title "200-cloud body (99 KB)" noenhanced
set xrange [-0.5:0.5]; M = tallest("cpu200_max"); @axis
set xtics ("200-cloud C=16" 0)
@panel

G(c, clouds) = group3(c, clouds); V = 4; F(v) = kilo(v)
set lmargin at screen left_l; set rmargin at screen left_r
set bmargin at screen bottom_b; set tmargin at screen bottom_t
set title "requests per second, higher is better" noenhanced
set xrange [-0.5:2.5]; M = tallest("rps3_max"); @axis
set xtics ("3-cloud C=1" 0, "3-cloud C=16" 1, "3-cloud C=256" 2)
set format y "%.0s%c"
@panel

G(c, clouds) = group200(c, clouds)
set lmargin at screen right_l; set rmargin at screen right_r
set title "200-cloud body (99 KB)" noenhanced
set xrange [-0.5:0.5]; M = tallest("rps200_max"); @axis
set xtics ("200-cloud C=16" 0)
@panel

unset multiplot
