# The space-time diagram of a `pvm trace` timeline (Trace Event Format) as
# SVG, for examples/picture.sh: one horizontal line per task (grouped by
# host, in tid order), each traced call a bar on its line (a receive's wait
# pale, sends and other calls dark), each message an arrow from the start
# of its send to the end of its receive. Time runs from the first message
# to the last event, so the start-up does not squeeze the algorithm.
# Input: the timeline; output (jq -r): the SVG document.
def esc: gsub("&"; "&amp;") | gsub("<"; "&lt;") | gsub(">"; "&gt;");
.traceEvents as $ev
| ([$ev[] | select(.ph == "M" and .name == "process_name") | {key: (.pid | tostring), value: .args.name}] | from_entries) as $hosts
| ([$ev[] | select(.ph == "M" and .name == "thread_name")] | sort_by(.pid, .tid)) as $lanes
| ([range(0; $lanes | length)] | map({key: ($lanes[.] | "\(.pid):\(.tid)"), value: .}) | from_entries) as $idx
| ([$ev[] | select(.ph == "s" and .name == "message")]) as $sends
| ([$ev[] | select(.ph == "X") | .ts + (.dur // 0)] + [$ev[] | select(.ph == "f") | .ts] | max // 1) as $tend
| (([$sends[].ts] | min) // 0) as $t1
| ([$t1 - ($tend - $t1) * 0.02, 0] | max) as $t0
| ([$tend - $t0, 1] | max) as $span
| 130 as $left | 1000 as $width | 36 as $top | 34 as $gap
| def x(t): ($left + (([t, $t0] | max) - $t0) / $span * ($width - $left - 20)) | floor;
  def y(p; t): ($top + ($idx["\(p):\(t)"] // 0) * $gap);
  ($top + ($lanes | length) * $gap + 12) as $height
| ($sends | map({key: (.id | tostring), value: .}) | from_entries) as $starts
| "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\($width)\" height=\"\($height)\" font-family=\"sans-serif\" font-size=\"12\">",
  "<defs><marker id=\"a\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#c0392b\"/></marker></defs>",
  "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
  ($lanes[] | "<text x=\"6\" y=\"\(y(.pid; .tid) + 4)\">\(.args.name | esc) \(($hosts[.pid | tostring] // "") | esc)</text><line x1=\"\($left)\" y1=\"\(y(.pid; .tid))\" x2=\"\($width - 20)\" y2=\"\(y(.pid; .tid))\" stroke=\"#999\"/>"),
  ($ev[] | select(.ph == "X" and $idx["\(.pid):\(.tid)"] != null and .ts + (.dur // 0) >= $t0)
   | (if (.name | test("recv|probe")) then "#aed6f1" elif .cat == "message" then "#1f618d" elif .cat == "group" then "#27ae60" elif .cat == "task" then "#8e44ad" else "#999" end) as $c
   | "<rect x=\"\(x(.ts))\" y=\"\(y(.pid; .tid) - 5)\" width=\"\([x(.ts + (.dur // 0)) - x(.ts), 2] | max)\" height=\"10\" fill=\"\($c)\"><title>\(.name | esc)</title></rect>"),
  ($ev[] | select(.ph == "f" and $starts[.id | tostring] != null) | . as $f | $starts[.id | tostring] as $s
   | "<line x1=\"\(x($s.ts))\" y1=\"\(y($s.pid; $s.tid))\" x2=\"\(x($f.ts))\" y2=\"\(y($f.pid; $f.tid))\" stroke=\"#c0392b\" stroke-width=\"1.2\" marker-end=\"url(#a)\"/>"),
  "<text x=\"\($left)\" y=\"16\" fill=\"#444\">time \u2192 \(($span / 100 | floor) / 10) ms from the first message; dark blue: sends, pale: waiting in a receive, green: group calls, purple: spawn and exit; red: messages</text>",
  "</svg>"
