package postmortem

import (
	"reflect"
	"strings"
	"testing"
)

func sampleLessons() Lessons {
	return Lessons{
		WentWell:  []string{"Rollback took four minutes: the runbook had the exact command."},
		WentWrong: []string{"The pool size change had no load test.", "Alerts fired only on a full outage."},
		Lucky:     []string{"The incident started after the EU evening peak."},
	}
}

func TestLessonsNormalize(t *testing.T) {
	l := Lessons{WentWell: []string{"  a ", "", " \n"}, WentWrong: []string{"b", "b"}}
	l.Normalize()
	want := Lessons{WentWell: []string{"a"}, WentWrong: []string{"b", "b"}, Lucky: []string{}}
	if !reflect.DeepEqual(l, want) {
		t.Errorf("Normalize = %#v, want %#v", l, want)
	}
}

func TestLessonsValidate(t *testing.T) {
	many := make([]string, MaxLessons+1)
	fill(many)
	tests := []struct {
		name string
		in   Lessons
		want []string
	}{
		{"sample", sampleLessons(), nil},
		{"empty", Lessons{}, nil},
		{"100 items", Lessons{Lucky: many[:MaxLessons]}, nil},
		{"2000 characters", Lessons{WentWell: []string{strings.Repeat("ö", MaxTextLength)}}, nil},
		{"101 items", Lessons{WentWrong: many}, []string{"went_wrong"}},
		{"2001 characters", Lessons{WentWell: []string{"ok", strings.Repeat("ö", MaxTextLength+1)}}, []string{"went_well[1]"}},
		{"blank", Lessons{Lucky: []string{"x", " "}}, []string{"lucky[1]"}},
		{"all three", Lessons{WentWell: []string{""}, WentWrong: many, Lucky: []string{strings.Repeat("x", 2001)}},
			[]string{"went_well[0]", "went_wrong", "lucky[0]"}},
	}
	for _, tt := range tests {
		checkPaths(t, tt.name, tt.in.Validate(), tt.want...)
	}
}
