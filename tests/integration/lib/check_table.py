#!/usr/bin/env python3
"""check_table.py - assertions on siphon's table output (test_table.sh).

  check_table.py inert FILE LABEL         no terminal control reaches the
                                          reader; the escaped forms appear
  check_table.py clean FILE LABEL         no terminal control (stderr)
  check_table.py layout FILE LABEL [--any-order] [--no-streams-column]
                                          order, open marker, directions,
                                          payload type names, STREAMS column
  check_table.py width FILE LABEL N       no line wider than N columns; the
                                          long Call-ID is cut with '~'
  check_table.py fullid FILE LABEL        the long Call-ID appears uncut
  check_table.py summary FILE LABEL CALLS the summary line counts CALLS
                                          calls in the right number

Exit 1 with a message per failed assertion.
"""
import re
import sys

LONG_ID = "layout-" + "x" * 80 + "@example.test"
fails = []


def fail(label, msg):
    fails.append("%s: FAIL: %s" % (label, msg))


def columns(line):
    """Display columns of a line of well-formed UTF-8 (one per code point)."""
    return len(line)


def read_text(path, label):
    raw = open(path, "rb").read().replace(b"\r\n", b"\n")  # a pty adds CRs
    try:
        return raw, raw.decode("utf-8")
    except UnicodeDecodeError as e:
        fail(label, "output is not well-formed UTF-8: %s" % e)
        return raw, raw.decode("utf-8", "replace")


def check_clean(path, label):
    """No terminal control at all (log lines on stderr)."""
    raw, text = read_text(path, label)
    bad = sorted({b for b in raw if (b < 0x20 and b != 0x0A) or b == 0x7F})
    if bad:
        fail(label, "control bytes reach the terminal: %s" % " ".join("%02x" % b for b in bad))
    if any(0x80 <= ord(ch) <= 0x9F or ch in "\u202a\u202b\u202c\u202d\u202e" for ch in text):
        fail(label, "C1 or bidi controls reach the terminal")


def check_inert(path, label):
    raw, text = read_text(path, label)
    bad = sorted({b for b in raw if (b < 0x20 and b != 0x0A) or b == 0x7F})
    if bad:
        fail(label, "control bytes reach the terminal: %s" % " ".join("%02x" % b for b in bad))
    c1 = sorted({ord(ch) for ch in text if 0x80 <= ord(ch) <= 0x9F})
    if c1:
        fail(label, "C1 controls reach the terminal: %s" % " ".join("U+%04X" % c for c in c1))
    fmt = sorted({ord(ch) for ch in text if ch in "\u061c\u200e\u200f\u202a\u202b\u202c\u202d"
                  "\u202e\u2066\u2067\u2068\u2069\ufeff"})
    if fmt:
        fail(label, "bidi/format controls reach the terminal: %s" %
             " ".join("U+%04X" % c for c in fmt))
    # the calls are there, their hostile parts shown escaped (cells may cut)
    for want in ["alice\\x1b[2J",      # caller: ESC [2J
                 "bob\\x1b]8;",        # callee: OSC 8
                 "cid-\\x1b[2J",       # Call-ID
                 "\\xe2\\x80\\xae",    # bidi override U+202E
                 "cid-\\xc2\\x9b2J",   # C1 CSI as UTF-8
                 "dave\\x9b1m",        # raw C1 byte (invalid UTF-8)
                 ]:
        if want not in text:
            fail(label, "escaped form %r not in the table" % want)
    if text.count("\n") < 3:
        fail(label, "no table (%d lines)" % text.count("\n"))


def check_inert_streams(path, label):
    """--streams: the details lines show full Call-ID, User-Agent, codec."""
    raw, text = read_text(path, label)
    for want in ["UA\\x1b[31mred\\x7f\\x0b\\x01",                # User-Agent: SGR, DEL, VT
                 "UA\\x0dX\\x1b]8;;http://evil.example/\\x07",  # bare CR, OSC 8 ended by BEL
                 "cid-\\x1b[2J-\\x1b]0;owned\\x07-1@h",          # full Call-ID, OSC 0 + BEL
                 "cid-\\xc2\\x9b2J-\\x9b31m-\\xe2\\x80\\xae-evil-\\xff\\xfe@h",
                 "opus\\x1b[2J",                               # rtpmap encoding name
                 "sip:alice\\x1b[2J\\x1b]0;pwned\\x07@10.20.1.1",    # From URI, OSC 0
                 "sip:bob\\x1b]8;;http://evil.example/\\x1b\\\\x@",  # To URI, OSC 8, "\\"
                 "sip:\\xe2\\x80\\xaecarol\\xc2\\x9b2J@",            # bidi, C1 as UTF-8
                 "sip:dave\\x9b1m\\xc3(@",                      # raw C1, invalid UTF-8
                 ]:
        if want not in text:
            fail(label, "escaped form %r not in the --streams output" % want)


def rows(text):
    """Call rows: (line, following detail lines) of a table."""
    lines = text.split("\n")
    out = []
    for ln in lines:
        if re.match(r"^(\d{4}-\d\d-\d\d[ T])?\d\d:\d\d:\d\d[ .]", ln):
            out.append([ln, []])
        elif out and ln.startswith(" "):
            out[-1][1].append(ln)
    return out


def check_layout(path, label, order=True, streams_col=True):
    """order: rows must be in start-time order (one flush: analyze);
    streams_col: the layout is wide enough for the STREAMS column."""
    _, text = read_text(path, label)
    header = text.split("\n", 1)[0]
    cols = ["START (UTC)", "STATE", "CALLER", "CALLEE", "TALK s", "ENDED", "MOS", "CALL-ID"]
    for col in cols + (["STREAMS"] if streams_col else []):
        if col not in header:
            fail(label, "header %r lacks %r" % (header, col))
    rs = rows(text)
    starts = [r[0][:19] for r in rs]
    if len(rs) != 3:
        fail(label, "want 3 call rows, got %d" % len(rs))
        return
    if order and starts != sorted(starts):
        fail(label, "rows not in start-time order: %s" % starts)
    by = {}
    for r in rs:
        for who in ["alice", "carol", "erin"]:
            if " %s " % who in r[0]:
                by[who] = r
    if sorted(by) != ["alice", "carol", "erin"]:
        fail(label, "rows of alice/carol/erin not found: %s" % [r[0] for r in rs])
        return
    # open at the end: ENDED says open, talk time is a lower bound
    erin = by["erin"][0].split()
    if "open" not in erin:
        fail(label, "open call's row does not say open: %r" % by["erin"][0])
    if not any(re.fullmatch(r"\d+\.\d\+", f) for f in erin):
        fail(label, "open call's talk time has no '+': %r" % by["erin"][0])
    for who in ["alice", "carol"]:
        if "open" in by[who][0].split():
            fail(label, "ended call %s says open: %r" % (who, by[who][0]))
    # directions of the problems
    details = {w: "\n".join(r[1]) for w, r in by.items()}
    if not re.search(r"one_way_audio \(caller->callee\)", details["alice"]):
        fail(label, "one_way_audio without its direction: %r" % details["alice"])
    if not re.search(r"payload_type_not_negotiated \(callee->caller\)", details["carol"]):
        fail(label, "payload_type_not_negotiated without its direction: %r" % details["carol"])
    # stream lines (--streams): the PT no SDP names, the dynamic PT's name
    if not re.search(r"10\.20\.2\.2:30004 -> 10\.20\.2\.1:20004 ssrc 0x00002002 PT 97\b",
                     details["carol"]):
        fail(label, "stream with an unnamed PT 97 not shown as 'PT 97': %r" % details["carol"])
    if not re.search(r"10\.20\.2\.1:20004 -> 10\.20\.2\.2:30004 ssrc 0x00001002 opus\b",
                     details["carol"]):
        fail(label, "stream with PT 96 (rtpmap opus) not shown as opus: %r" % details["carol"])
    # the STREAMS column counts streams: 1 for one-way alice, 2 for the others
    for who, n in [("alice", "1"), ("carol", "2"), ("erin", "2")] if streams_col else []:
        f = by[who][0].split()
        if n not in f:
            fail(label, "%s's row does not show %s streams: %r" % (who, n, by[who][0]))


def check_width(path, label, n):
    _, text = read_text(path, label)
    for ln in text.split("\n"):
        if ln.startswith("summary:"):
            continue  # the summary line is prose, not a table row
        if columns(ln) > n:
            fail(label, "line of %d columns > %d: %r" % (columns(ln), n, ln))
    cut = [r[0] for r in rows(text) if " carol " in r[0]]
    if not cut:
        fail(label, "no row for the long Call-ID")
    elif not re.search(r" layout-x+~$", cut[0]):
        fail(label, "long Call-ID not cut with '~': %r" % cut[0])


def check_fullid(path, label):
    _, text = read_text(path, label)
    if LONG_ID not in text:
        fail(label, "the long Call-ID does not appear in full")


def check_summary(path, label, calls):
    _, text = read_text(path, label)
    s = [ln for ln in text.split("\n") if ln.startswith("summary:")]
    if len(s) != 1:
        fail(label, "want one summary line, got %d" % len(s))
        return
    word = "call" if calls == 1 else "calls"
    if not re.search(r"\b%d %s\b" % (calls, word), s[0]):
        fail(label, "summary does not say '%d %s': %r" % (calls, word, s[0]))
    for m in re.finditer(r"\b1 ([a-z]+s)\b", s[0]):
        fail(label, "plural after 1: %r in %r" % (m.group(0), s[0]))


def main():
    mode, path, label = sys.argv[1:4]
    if mode == "clean":
        check_clean(path, label)
    elif mode == "inert":
        check_inert(path, label)
    elif mode == "inert-streams":
        check_inert(path, label)
        check_inert_streams(path, label)
    elif mode == "layout":
        check_layout(path, label, "--any-order" not in sys.argv[4:],
                     "--no-streams-column" not in sys.argv[4:])
    elif mode == "width":
        check_width(path, label, int(sys.argv[4]))
    elif mode == "fullid":
        check_fullid(path, label)
    elif mode == "summary":
        check_summary(path, label, int(sys.argv[4]))
    for f in fails:
        print(f)
    if not fails:
        print("%s: ok" % label)
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
