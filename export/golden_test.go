package export

import (
	"flag"
	"path/filepath"
	"reflect"
	"testing"

	"hindsight/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var corp = Redaction{InternalDomains: []string{"corp.example.com"}}

// goldenCase is one export of the fixture pinned in testdata.
type goldenCase struct {
	file string
	p    func() Postmortem
	o    Options
}

func publicFixture() Postmortem {
	p := fixture()
	p.Template = publicTemplate()
	return p
}

var goldenCases = []goldenCase{
	{"internal.md", fixture, Options{Zone: paris()}},
	{"internal.toml.md", fixture, Options{FrontMatter: FrontMatterTOML}},
	{"internal-none-offset1.md", fixture, Options{FrontMatter: FrontMatterNone, HeadingOffset: 1, Zone: paris()}},
	{"internal-sections.md", fixture, Options{FrontMatter: FrontMatterNone, Sections: []string{SectionActions, SectionSummary, SectionTimeline}}},
	{"public.md", fixture, Options{Audience: AudiencePublic, Byline: "The Payments team", Redaction: corp}},
	{"public.toml.md", fixture, Options{Audience: AudiencePublic, FrontMatter: FrontMatterTOML, Redaction: corp}},
	{"public-none-offset4.md", fixture, Options{Audience: AudiencePublic, FrontMatter: FrontMatterNone, HeadingOffset: 4, Byline: "The Payments team", Redaction: corp}},
	{"public-template.md", publicFixture, Options{Audience: AudiencePublic, Zone: paris(), Byline: "The Payments team", Redaction: corp}},
	{"public-template-internal.md", publicFixture, Options{Zone: paris()}},
}

// TestGolden pins the Markdown of the fixture in both audiences, each
// front matter flavour and both layouts. Rerun with -update after an
// intended change and read the diff.
func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.file, func(t *testing.T) {
			got, err := Markdown(c.p(), c.o)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, c.file, got)
		})
	}
	for _, c := range []struct {
		file string
		o    Options
	}{
		{"internal.json", Options{}},
		{"public.json", Options{Audience: AudiencePublic, Byline: "The Payments team", Redaction: corp}},
	} {
		t.Run(c.file, func(t *testing.T) {
			got, err := JSON(fixture(), c.o)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, c.file, got)
		})
	}
}

func checkGolden(t *testing.T, file string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", file), got, *update, "go test ./export/ -run TestGolden -update")
}

// TestInputUnchanged: exporting, redacting and previewing never change
// the postmortem they are given (the public version is made on the fly).
func TestInputUnchanged(t *testing.T) {
	p := fixture()
	want := fixture()
	pub := Options{Audience: AudiencePublic, Redaction: corp}
	if _, err := Markdown(p, pub); err != nil {
		t.Fatal(err)
	}
	if _, err := JSON(p, pub); err != nil {
		t.Fatal(err)
	}
	Redact(p, pub)
	if _, err := PreviewPublic(p, pub); err != nil {
		t.Fatal(err)
	}
	if _, err := Markdown(p, Options{}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("the input changed:\n%+v\nwant\n%+v", p, want)
	}
}

func TestInvalidOptions(t *testing.T) {
	for _, o := range []Options{
		{Audience: "everyone"},
		{FrontMatter: "json"},
		{HeadingOffset: -1},
		{HeadingOffset: MaxHeadingOffset + 1},
		{Sections: []string{"summary", "appendix"}},
		{Layout: "two-column"},
	} {
		if _, err := Markdown(fixture(), o); err == nil || !errorIs(err) {
			t.Errorf("%+v: err = %v, want ErrOptions", o, err)
		}
		if _, err := JSON(fixture(), o); err == nil || !errorIs(err) {
			t.Errorf("JSON %+v: err = %v, want ErrOptions", o, err)
		}
	}
}
