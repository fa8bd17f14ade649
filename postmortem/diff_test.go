package postmortem

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestDiff(t *testing.T) {
	type ops = []DiffOp
	eq := func(s string) DiffOp { return DiffOp{DiffEqual, s} }
	del := func(s string) DiffOp { return DiffOp{DiffDelete, s} }
	ins := func(s string) DiffOp { return DiffOp{DiffInsert, s} }
	tests := []struct {
		old, new string
		want     ops
	}{
		{"", "", nil},
		{"same", "same", ops{eq("same")}},
		{"", "new text", ops{ins("new text")}},
		{"old text", "", ops{del("old text")}},
		{"the quick brown fox", "the slow brown fox", ops{eq("the "), del("quick"), ins("slow"), eq(" brown fox")}},
		{"Users saw 502 errors.", "Users saw 503 errors for 5 minutes.",
			ops{eq("Users saw "), del("502"), ins("503"), eq(" errors"), ins(" for 5 minutes"), eq(".")}},
		// Whole words only: "pool" and "pools" share no part.
		{"the pool", "the pools", ops{eq("the "), del("pool"), ins("pools")}},
		{"a b c", "a c", ops{eq("a "), del("b "), eq("c")}},
		{"a c", "a b c", ops{eq("a "), ins("b "), eq("c")}},
		// An equal run without a word between two changes joins them.
		{"a, b", "c; d", ops{del("a, b"), ins("c; d")}},
		// An equal run no longer than the changes on both sides joins them.
		{"alpha be gamma", "one be two", ops{del("alpha be gamma"), ins("one be two")}},
		{"alpha beta gamma", "one beta two", ops{del("alpha"), ins("one"), eq(" beta "), del("gamma"), ins("two")}},
		// A longer equal run stays.
		{"alpha was always here gamma", "one was always here two",
			ops{del("alpha"), ins("one"), eq(" was always here "), del("gamma"), ins("two")}},
		// White space is a unit of its own.
		{"a  b", "a b", ops{eq("a"), del("  "), ins(" "), eq("b")}},
		{"line one\nline two", "line one\n\nline two", ops{eq("line one"), del("\n"), ins("\n\n"), eq("line two")}},
		// CJK characters are units.
		{"日本語のテキスト", "日本のテキスト", ops{eq("日本"), del("語"), eq("のテキスト")}},
		// Accents and combining marks stay inside their word.
		{"café crème", "cafe\u0301 crème", ops{del("café"), ins("cafe\u0301"), eq(" crème")}},
		// Invalid UTF-8 survives byte for byte.
		{"a \xff b", "a \xfe b", ops{eq("a "), del("\xff"), ins("\xfe"), eq(" b")}},
	}
	for _, tt := range tests {
		got := Diff(tt.old, tt.new)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Diff(%q, %q)\n got %q\nwant %q", tt.old, tt.new, got, tt.want)
		}
		checkDiff(t, tt.old, tt.new, got)
	}
}

// checkDiff verifies the properties every diff has: equal+delete gives
// old, equal+insert gives new; no empty op; equal runs and change blocks
// alternate, and a block is a delete, an insert, or a delete then an
// insert.
func checkDiff(t testing.TB, old, new string, ops []DiffOp) {
	t.Helper()
	var o, n strings.Builder
	for i, op := range ops {
		if op.Text == "" {
			t.Fatalf("Diff(%q, %q): empty op %d in %q", old, new, i, ops)
		}
		switch op.Kind {
		case DiffEqual:
			o.WriteString(op.Text)
			n.WriteString(op.Text)
			if i > 0 && ops[i-1].Kind == DiffEqual {
				t.Fatalf("Diff(%q, %q): two equal ops in a row: %q", old, new, ops)
			}
		case DiffDelete:
			o.WriteString(op.Text)
			if i > 0 && ops[i-1].Kind != DiffEqual {
				t.Fatalf("Diff(%q, %q): a delete after a change: %q", old, new, ops)
			}
		case DiffInsert:
			n.WriteString(op.Text)
			if i > 0 && ops[i-1].Kind == DiffInsert {
				t.Fatalf("Diff(%q, %q): two inserts in a row: %q", old, new, ops)
			}
		default:
			t.Fatalf("Diff(%q, %q): unknown kind %q", old, new, op.Kind)
		}
	}
	if o.String() != old || n.String() != new {
		t.Fatalf("Diff(%q, %q) does not round-trip: %q", old, new, ops)
	}
	if old == new && old != "" && (len(ops) != 1 || ops[0].Kind != DiffEqual) {
		t.Fatalf("Diff of identical texts: %q", ops)
	}
}

// lcs is the length of the longest common subsequence, by dynamic
// programming: the reference the Myers search must match.
func lcs(a, b []int32) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for i := range a {
		for j := range b {
			switch {
			case a[i] == b[j]:
				cur[j+1] = prev[j] + 1
			case prev[j+1] >= cur[j]:
				cur[j+1] = prev[j+1]
			default:
				cur[j+1] = cur[j]
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// TestDifferMinimal: within its work bound the search is minimal: the
// tokens it keeps equal are a longest common subsequence.
func TestDifferMinimal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		a := make([]int32, r.IntN(40))
		b := make([]int32, r.IntN(40))
		alphabet := int32(1 + r.IntN(6))
		for i := range a {
			a[i] = r.Int32N(alphabet)
		}
		for i := range b {
			b[i] = r.Int32N(alphabet)
		}
		d := differ{a: a, b: b, delA: make([]bool, len(a)), insB: make([]bool, len(b)), work: diffWork}
		d.run()
		kept := 0
		for _, s := range d.spans() {
			if s.kind == DiffEqual {
				kept += s.aHi - s.aLo
				if !reflect.DeepEqual(a[s.aLo:s.aHi], b[s.bLo:s.bHi]) {
					t.Fatalf("%v vs %v: equal span %+v is not equal", a, b, s)
				}
			}
		}
		if want := lcs(a, b); kept != want {
			t.Fatalf("%v vs %v: kept %d tokens, the LCS has %d", a, b, kept, want)
		}
	}
}

// TestDiffRandom checks the properties on random edits of random prose.
func TestDiffRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	words := []string{"the", "pool", "deploy", "alert", ",", ".", " ", "  ", "\n", "é", "日", "\xff", "a-b", "on-call"}
	gen := func() string {
		var b strings.Builder
		for range r.IntN(30) {
			b.WriteString(words[r.IntN(len(words))])
			if r.IntN(3) > 0 {
				b.WriteByte(' ')
			}
		}
		return b.String()
	}
	for range 5000 {
		old := gen()
		new := old
		if r.IntN(4) > 0 {
			new = gen()
		} else if len(old) > 2 {
			i := r.IntN(len(old))
			new = old[:i] + gen() + old[i:]
		}
		ops := Diff(old, new)
		checkDiff(t, old, new, ops)
		if again := Diff(old, new); !reflect.DeepEqual(ops, again) {
			t.Fatalf("Diff(%q, %q) is not deterministic", old, new)
		}
	}
}

// prose returns n words of deterministic pseudo-English with punctuation
// and paragraph breaks.
func prose(seed uint64, n int) string {
	r := rand.New(rand.NewPCG(seed, 99))
	var b strings.Builder
	for i := range n {
		b.WriteString(fmt.Sprintf("word%d", r.IntN(3000)))
		switch {
		case i%97 == 96:
			b.WriteString(".\n\n")
		case i%13 == 12:
			b.WriteString(", ")
		default:
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// editEvery replaces every k-th word.
func editEvery(s string, k int) string {
	w := strings.Split(s, " ")
	for i := 0; i < len(w); i += k {
		w[i] = "CHANGED"
	}
	return strings.Join(w, " ")
}

func repeat(unit string, n int) string { return strings.Repeat(unit, n) }

// diffCases are texts of about 20,000 words, the largest the history page
// diffs, in the shapes that make diffs slow.
var diffCases = []struct {
	name     string
	old, new func() string
}{
	{"typo", func() string { return prose(1, 20000) }, func() string { return editEvery(prose(1, 20000), 19999) }},
	{"edit 1%", func() string { return prose(1, 20000) }, func() string { return editEvery(prose(1, 20000), 100) }},
	{"edit 10%", func() string { return prose(1, 20000) }, func() string { return editEvery(prose(1, 20000), 10) }},
	{"halves swapped", func() string { return prose(1, 20000) }, func() string {
		s := prose(1, 20000)
		return s[len(s)/2:] + s[:len(s)/2]
	}},
	{"rewrite", func() string { return prose(1, 20000) }, func() string { return prose(2, 20000) }},
	{"a b / b a", func() string { return repeat("a b ", 10000) }, func() string { return repeat("b a ", 10000) }},
	{"a a b / a b a", func() string { return repeat("a a b ", 6667) }, func() string { return "z " + repeat("a b a ", 6667) }},
	{"same word", func() string { return repeat("a ", 20000) }, func() string { return "q " + repeat("a ", 5000) + "z " + repeat("a ", 14998) + "q" }},
	{"empty → all", func() string { return "" }, func() string { return prose(1, 20000) }},
}

// TestDiffLarge: the large cases round-trip in bounded time. What keeps a
// diff well under 100 ms is the work bound (TestDiffWorkBound), not the
// clock; BenchmarkDiff measures the figure. The clock check here only
// catches a regression to super-linear work, with room for a loaded CI
// machine running every package at once.
func TestDiffLarge(t *testing.T) {
	for _, c := range diffCases {
		old, new := c.old(), c.new()
		best := time.Hour
		var ops []DiffOp
		for range 3 {
			start := time.Now()
			ops = Diff(old, new)
			best = min(best, time.Since(start))
		}
		checkDiff(t, old, new, ops)
		t.Logf("%-16s %6d ops, %v", c.name, len(ops), best)
		if best > time.Second {
			t.Errorf("%s: %v; BenchmarkDiff should stay well under 100 ms", c.name, best)
		}
	}
	// A few edits in a long text stay a few edits, not a rewrite.
	ops := Diff(prose(1, 20000), editEvery(prose(1, 20000), 100))
	changes := 0
	for _, op := range ops {
		if op.Kind == DiffInsert {
			changes++
		}
	}
	// editEvery counts space-separated words; a paragraph break joins two.
	if want := (len(strings.Split(prose(1, 20000), " ")) + 99) / 100; changes != want {
		t.Errorf("1%% of 20,000 words edited: %d inserts, want %d", changes, want)
	}
}

// TestDiffWorkBound: the search stops at its work bound and still gives an
// exact diff.
func TestDiffWorkBound(t *testing.T) {
	old, new := prose(1, 20000), prose(2, 20000)
	ta, tb := tokenize(old), tokenize(new)
	ids := map[string]int32{}
	a, b := intern(old, ta, ids), intern(new, tb, ids)
	d := differ{a: a, b: b, delA: make([]bool, len(a)), insB: make([]bool, len(b)), work: diffWork}
	d.run()
	if d.work > 0 {
		t.Errorf("two unrelated texts fit in the work bound (%d left): make the case harder", d.work)
	}
	if used := diffWork - d.work; used > diffWork+2*(len(a)+len(b)+2) {
		t.Errorf("used %d steps, bound %d", used, diffWork)
	}
	checkDiff(t, old, new, cleanup(old, new, ta, tb, d.spans()))
}

func TestTokenize(t *testing.T) {
	split := func(s string) []string {
		var out []string
		start := 0
		for _, end := range tokenize(s) {
			out = append(out, s[start:end])
			start = end
		}
		return out
	}
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"Hello, world!", []string{"Hello", ",", " ", "world", "!"}},
		{"p99  latency\n\nrose", []string{"p99", "  ", "latency", "\n\n", "rose"}},
		{"on-call's", []string{"on", "-", "call", "'", "s"}},
		{"snake_case 42.5%", []string{"snake_case", " ", "42", ".", "5", "%"}},
		{"日本語abc", []string{"日", "本", "語", "abc"}},
		{"e\u0301t\u00e9", []string{"e\u0301t\u00e9"}},
		{"a\xffb", []string{"a", "\xff", "b"}},
		{"\u00a0x", []string{"\u00a0", "x"}},
	}
	for _, tt := range tests {
		if got := split(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("tokenize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, s := range []string{"x\xf0\x9f", "\xe6\x97"} {
		if strings.Join(split(s), "") != s || !utf8.ValidString(s) == false && len(split(s)) == 0 {
			t.Errorf("tokenize(%q) lost bytes", s)
		}
	}
}

func BenchmarkDiff(b *testing.B) {
	for _, c := range diffCases {
		old, new := c.old(), c.new()
		b.Run(strings.ReplaceAll(c.name, " ", "_"), func(b *testing.B) {
			b.SetBytes(int64(len(old) + len(new)))
			for b.Loop() {
				Diff(old, new)
			}
		})
	}
}
