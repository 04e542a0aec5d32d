package storage

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/herald-news/herald/alerts"
)

// An outbox entry is stored as a compact binary record, not as JSON: a
// backlog of half a million alerts is half a million of them, and the JSON
// of one (field names, quoted times, hex IDs) was four times its content.
// The record (schema version 6 on; JSON before, which decodeRecord still
// reads for the migration and for Repair) is
//
//	2 (the format)
//	str ID, str Kind, str Target, str MessageID
//	varint Created, varint NotBefore as Unix nanoseconds (0: none)
//	1 byte Held, uvarint Attempts, str LastError
//	uvarint number of alerts, and for each:
//	  1 byte: 1 its target is the delivery's (else str Target follows),
//	          2 its article is a reference (str article ID follows),
//	          4 its article is inline (uvarint length, the Article's JSON)
//	  str Story
//	  uvarint number of matches, each: uvarint Sub, str Query, str Role,
//	    uvarint number of terms, each: str Term, str Matched (may be "the
//	    same as Term"), str Field, str Entry
//	  uvarint number of sources, each a str
//
// under the entry's Seq (8 bytes, big-endian), which the record does not
// repeat. A str is a uvarint header h and h>>2 bytes: h&3 == 0 the bytes
// themselves, 1 lowercase hex packed two digits a byte (the IDs Herald
// makes: alerts.ContentID), 2 the same string as the one the field
// repeats (no bytes).
const outboxFormat = 2

// outboxFill is how full the outbox bucket's pages are written: Seqs only
// grow, so new entries go at its end, and bbolt's default of half-full
// pages (left by splits) would double it.
const outboxFill = 0.95

// Flags of an alert in a record.
const (
	alertSameTarget = 1 << iota
	alertArticleRef
	alertArticleInline
)

// String encodings of a record.
const (
	strRaw = iota
	strHex
	strSame
)

var errOutboxRecord = errors.New("malformed outbox entry")

// appendStr appends s; same is the string s most often repeats.
func appendStr(buf []byte, s, same string) []byte {
	switch {
	case s != "" && s == same:
		return binary.AppendUvarint(buf, strSame)
	case isPackedHex(s):
		buf = binary.AppendUvarint(buf, uint64(len(s)/2)<<2|strHex)
		out, _ := hex.AppendDecode(buf, []byte(s)) // isPackedHex checked it
		return out
	}
	buf = binary.AppendUvarint(buf, uint64(len(s))<<2|strRaw)
	return append(buf, s...)
}

// isPackedHex reports whether s is lowercase hex of an even length, which
// packs into half its bytes and unpacks to the same string.
func isPackedHex(s string) bool {
	if len(s) < 2 || len(s)%2 != 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// encodeRecord returns rec's stored record.
func encodeRecord(rec outboxRecord) ([]byte, error) {
	buf := make([]byte, 0, 128)
	buf = append(buf, outboxFormat)
	buf = appendStr(buf, rec.ID, "")
	buf = appendStr(buf, string(rec.Kind), "")
	buf = appendStr(buf, string(rec.Target), "")
	buf = appendStr(buf, rec.MessageID, "")
	buf = binary.AppendVarint(buf, unixNano(rec.Created))
	buf = binary.AppendVarint(buf, unixNano(rec.NotBefore))
	held := byte(0)
	if rec.Held {
		held = 1
	}
	buf = append(buf, held)
	buf = binary.AppendUvarint(buf, uint64(max(rec.Attempts, 0)))
	buf = appendStr(buf, rec.LastError, "")
	buf = binary.AppendUvarint(buf, uint64(len(rec.Alerts)))
	for _, a := range rec.Alerts {
		flags := byte(0)
		if a.Target == rec.Target {
			flags |= alertSameTarget
		}
		switch {
		case a.Article != nil:
			flags |= alertArticleInline
		case a.ArticleID != "":
			flags |= alertArticleRef
		}
		buf = append(buf, flags)
		if flags&alertSameTarget == 0 {
			buf = appendStr(buf, string(a.Target), "")
		}
		switch {
		case a.Article != nil:
			raw, err := json.Marshal(a.Article)
			if err != nil {
				return nil, err
			}
			buf = binary.AppendUvarint(buf, uint64(len(raw)))
			buf = append(buf, raw...)
		case a.ArticleID != "":
			buf = appendStr(buf, a.ArticleID, "")
		}
		buf = appendStr(buf, a.Story, "")
		buf = binary.AppendUvarint(buf, uint64(len(a.Matches)))
		for _, m := range a.Matches {
			buf = binary.AppendUvarint(buf, m.Sub)
			buf = appendStr(buf, m.Query, "")
			buf = appendStr(buf, m.Role, "")
			buf = binary.AppendUvarint(buf, uint64(len(m.Terms)))
			for _, t := range m.Terms {
				buf = appendStr(buf, t.Term, "")
				buf = appendStr(buf, t.Matched, t.Term)
				buf = appendStr(buf, string(t.Field), "")
				buf = appendStr(buf, t.Entry, "")
			}
		}
		buf = binary.AppendUvarint(buf, uint64(len(a.Sources)))
		for _, s := range a.Sources {
			buf = appendStr(buf, s, "")
		}
	}
	return buf, nil
}

// recordReader reads a record's fields in order; the first fault stops it
// (err), and every later read returns zero values.
type recordReader struct {
	rest []byte
	err  error
}

func (r *recordReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", errOutboxRecord, what)
	}
	r.rest = nil
}

func (r *recordReader) uvarint() uint64 {
	n, w := binary.Uvarint(r.rest)
	if w <= 0 {
		r.fail("cut short")
		return 0
	}
	r.rest = r.rest[w:]
	return n
}

func (r *recordReader) varint() int64 {
	n, w := binary.Varint(r.rest)
	if w <= 0 {
		r.fail("cut short")
		return 0
	}
	r.rest = r.rest[w:]
	return n
}

func (r *recordReader) byte() byte {
	if len(r.rest) == 0 {
		r.fail("cut short")
		return 0
	}
	b := r.rest[0]
	r.rest = r.rest[1:]
	return b
}

func (r *recordReader) bytes(n uint64) []byte {
	if n > uint64(len(r.rest)) {
		r.fail("cut short")
		return nil
	}
	b := r.rest[:n]
	r.rest = r.rest[n:]
	return b
}

// count reads a number of items that each take at least one byte.
func (r *recordReader) count() int {
	n := r.uvarint()
	if n > uint64(len(r.rest)) {
		r.fail("a count past its end")
		return 0
	}
	return int(n)
}

func (r *recordReader) str(same string) string {
	return r.strOf(r.uvarint(), same)
}

// skipStr reads past a str.
func (r *recordReader) skipStr() {
	switch h := r.uvarint(); h & 3 {
	case strRaw, strHex:
		r.bytes(h >> 2)
	case strSame:
	default:
		r.fail("unknown string encoding")
	}
}

// strOf reads the rest of a str whose header h was read.
func (r *recordReader) strOf(h uint64, same string) string {
	switch h & 3 {
	case strRaw:
		return string(r.bytes(h >> 2))
	case strHex:
		return hex.EncodeToString(r.bytes(h >> 2))
	case strSame:
		return same
	}
	r.fail("unknown string encoding")
	return ""
}

// decodeRecord reads the record stored under seq: the binary record, or
// the JSON of schema versions 3 to 5 (and, as they read, of earlier ones,
// with every article inline).
func decodeRecord(seq uint64, v []byte) (outboxRecord, error) {
	var rec outboxRecord
	if len(v) > 0 && v[0] == '{' {
		if err := json.Unmarshal(v, &rec); err != nil {
			return rec, err
		}
		rec.Seq = seq
		return rec, nil
	}
	if len(v) == 0 || v[0] != outboxFormat {
		return rec, fmt.Errorf("%w: unknown format", errOutboxRecord)
	}
	r := &recordReader{rest: v[1:]}
	rec.Seq = seq
	rec.ID = r.str("")
	rec.Kind = alerts.DeliveryKind(r.str(""))
	rec.Target = alerts.TargetID(r.str(""))
	rec.MessageID = r.str("")
	rec.Created = fromUnixNano(r.varint())
	rec.NotBefore = fromUnixNano(r.varint())
	rec.Held = r.byte() == 1
	rec.Attempts = int(r.uvarint())
	rec.LastError = r.str("")
	if n := r.count(); n > 0 {
		rec.Alerts = make([]alerts.StoredAlert, n)
	}
	for i := range rec.Alerts {
		a := &rec.Alerts[i]
		flags := r.byte()
		a.Target = rec.Target
		if flags&alertSameTarget == 0 {
			a.Target = alerts.TargetID(r.str(""))
		}
		switch {
		case flags&alertArticleInline != 0:
			raw := r.bytes(r.uvarint())
			if r.err == nil {
				a.Article = new(alerts.Article)
				if err := json.Unmarshal(raw, a.Article); err != nil {
					r.fail("inline article: " + err.Error())
				}
			}
		case flags&alertArticleRef != 0:
			a.ArticleID = r.str("")
		}
		a.Story = r.str("")
		if n := r.count(); n > 0 {
			a.Matches = make([]alerts.Match, n)
		}
		for j := range a.Matches {
			m := &a.Matches[j]
			m.Sub = r.uvarint()
			m.Query = r.str("")
			m.Role = r.str("")
			if n := r.count(); n > 0 {
				m.Terms = make([]alerts.TermHit, n)
			}
			for k := range m.Terms {
				t := &m.Terms[k]
				t.Term = r.str("")
				t.Matched = r.str(t.Term)
				t.Field = alerts.Field(r.str(""))
				t.Entry = r.str("")
			}
		}
		if n := r.count(); n > 0 {
			a.Sources = make([]string, n)
		}
		for j := range a.Sources {
			a.Sources[j] = r.str("")
		}
	}
	if r.err == nil && len(r.rest) != 0 {
		r.fail(fmt.Sprintf("%d bytes past its end", len(r.rest)))
	}
	return rec, r.err
}

// peekQueue reads the target of the record v stored under seq and its
// place in the target's queue, without decoding the rest. With want set,
// a record for another target gives ok false, read no further and with
// nothing allocated.
func peekQueue(seq uint64, v []byte, want alerts.TargetID) (target alerts.TargetID, e queueEntry, ok bool, err error) {
	if len(v) == 0 || v[0] != outboxFormat {
		rec, err := decodeRecord(seq, v)
		return rec.Target, entryOf(rec, seq), err == nil && (want == "" || rec.Target == want), err
	}
	r := &recordReader{rest: v[1:]}
	r.skipStr() // ID
	r.skipStr() // Kind
	if h := r.uvarint(); h&3 == strRaw {
		raw := r.bytes(h >> 2)
		switch {
		case want == "":
			target = alerts.TargetID(raw)
		case string(raw) == string(want):
			target = want
		default:
			return "", queueEntry{}, false, r.err
		}
	} else if target = alerts.TargetID(r.strOf(h, "")); want != "" && target != want {
		return "", queueEntry{}, false, r.err
	}
	r.skipStr() // MessageID
	r.varint()  // Created
	nb := r.varint()
	if r.err != nil {
		return "", queueEntry{}, false, r.err
	}
	return target, queueEntry{uint64(max(nb, 0)), seq}, true, nil
}
