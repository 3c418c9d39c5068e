"""The similarity section of the class report: the disclaimer, the ranked pairs, and per pair a collapsible
side-by-side view of their solution cells with the matching lines marked. An HTML fragment with no script
and no external resource; every student-written string (ids, code, answers) goes through html.escape."""

import bisect
import html

DISCLAIMER = (
    "Similarity is a reason to look, not proof. Students of one course learn the same formulas from the same "
    "notebook, and short exercises have few correct answers; the score counts only material that few students "
    "share, but two people can still arrive at the same code or words on their own. Read both notebooks, and "
    "talk with the students, before concluding anything.")

STYLE = ("<style>.sim-grid{display:grid;grid-template-columns:1fr 1fr;gap:.5em}"
         ".sim-grid pre{margin:0;padding:.4em;background:#f7f7f7;overflow-x:auto;font-size:85%;white-space:pre}"
         ".sim-grid mark{background:#ffe08a}.sim-table td,.sim-table th{padding:.15em .6em;text-align:left}"
         "</style>")


def _lines_marked(text, spans):
    """Line numbers (0-based) of `text` that any character span touches."""
    starts = [0] + [position + 1 for position, char in enumerate(text) if char == "\n"]
    marked = set()
    for start, end in spans:
        first, last = bisect.bisect_right(starts, start) - 1, bisect.bisect_left(starts, max(end, start + 1)) - 1
        marked.update(range(max(first, 0), last + 1))
    return marked


def marked_pre(text, spans, max_lines=200):
    """<pre> of `text`, escaped, with each matching line wrapped in <mark>."""
    lines = text.splitlines()
    marked = _lines_marked(text, spans)
    shown = [f"<mark>{html.escape(line)}</mark>" if number in marked else html.escape(line)
             for number, line in enumerate(lines[:max_lines])]
    if len(lines) > max_lines:
        shown.append(html.escape(f"... {len(lines) - max_lines} more lines"))
    return "<pre>" + "\n".join(shown) + "</pre>"


def pair_view(pair, parts):
    """<details> with, for each part where the pair matches (best first), the two cells side by side."""
    a, b = html.escape(pair.a), html.escape(pair.b)
    rows = []
    for part, share in sorted(pair.parts.items(), key=lambda item: -item[1]):
        spans_a, spans_b = pair.spans.get(part, ([], []))
        rows.append(f"<h4>{html.escape(part)}: {share:.0%} of the rarer material in common</h4>"
                    f"<div class=\"sim-grid\"><div><b>{a}</b>{marked_pre(parts[pair.a].get(part, ''), spans_a)}</div>"
                    f"<div><b>{b}</b>{marked_pre(parts[pair.b].get(part, ''), spans_b)}</div></div>")
    if pair.outputs:
        rows.append("<p>Same rare wrong output on the class-wide inputs: "
                    + ", ".join(html.escape(e) for e in pair.outputs) + ".</p>")
    return f"<details><summary>{a} and {b}: score {pair.score:.2f}</summary>{''.join(rows)}</details>"


def section_html(pairs, parts, limit=50, threshold=None):
    """The section: heading, disclaimer, a table of the first `limit` pairs, and their side-by-side views.

    pairs: [similarity.Pair] best first; parts: {student: {part: text}} the pairs were found in."""
    shown = pairs[:limit]
    rule = f" (score at least {threshold:.2f})" if threshold is not None else ""
    out = [STYLE, "<section class=\"similarity\"><h2>Similar work</h2>",
           f"<p><strong>{html.escape(DISCLAIMER)}</strong></p>"]
    if not shown:
        out.append(f"<p>No pair of students scores above the threshold{rule}.</p></section>")
        return "".join(out)
    out.append(f"<p>{len(pairs)} pair(s) listed{rule}; the score is the share of the two students' rarer "
               "material that they have in common, plus a bonus for each exercise where both return the same "
               "wrong output that few others return.</p>")
    out.append("<table class=\"sim-table\"><tr><th>#</th><th>students</th><th>score</th><th>parts alike</th>"
               "<th>same rare wrong output</th></tr>")
    for rank, pair in enumerate(shown, 1):
        alike = ", ".join(f"{html.escape(p)} {s:.0%}" for p, s in sorted(pair.parts.items(), key=lambda x: -x[1])
                          if s >= 0.2)
        out.append(f"<tr><td>{rank}</td><td>{html.escape(pair.a)} &amp; {html.escape(pair.b)}</td>"
                   f"<td>{pair.score:.2f}</td><td>{alike}</td><td>{html.escape(', '.join(pair.outputs))}</td></tr>")
    out.append("</table>")
    if len(pairs) > limit:
        out.append(f"<p>{len(pairs) - limit} more pair(s) in the CSV file.</p>")
    out.extend(pair_view(pair, parts) for pair in shown)
    out.append("</section>")
    return "".join(out)
