package timeline

import (
	"math"
	"testing"
	"time"
)

func TestComputeDurations(t *testing.T) {
	at := func(h, m int) *time.Time { return fxPtr(fxAt(h, m)) }
	mins := func(n int) *time.Duration { d := time.Duration(n) * time.Minute; return &d }
	cases := []struct {
		name string
		m    Moments
		want Durations
	}{
		{"nothing set", Moments{}, Durations{}},
		{"started only", Moments{Started: at(11, 45)}, Durations{}},
		{
			// The bookbot suggestions: started and detected 11:45, mitigated
			// and resolved 12:45 (the last alert resolved, after the second
			// hotfix): 60 minutes of impact, as the fact sheet says.
			"bookbot: impact to the mitigation at the last resolve", Moments{Started: at(11, 45), Detected: at(11, 45), Mitigated: at(12, 45), Resolved: at(12, 45)},
			Durations{TimeToDetect: mins(0), TimeToMitigate: mins(60), TimeToResolve: mins(60), Impact: mins(60)},
		},
		{
			"all five", Moments{Started: at(11, 45), Detected: at(11, 47), Acknowledged: at(11, 52), Mitigated: at(12, 20), Resolved: at(12, 45)},
			Durations{TimeToDetect: mins(2), TimeToAcknowledge: mins(5), TimeToMitigate: mins(35), TimeToResolve: mins(60), Impact: mins(35)},
		},
		{
			"no mitigation: impact to the resolution", Moments{Started: at(11, 45), Resolved: at(12, 45)},
			Durations{TimeToResolve: mins(60), Impact: mins(60)},
		},
		{
			"late detection is explained", Moments{Started: at(11, 5), Detected: at(11, 45)},
			Durations{TimeToDetect: mins(40), DetectionGap: "impact began 40 min before it was detected"},
		},
		{
			"over an hour late", Moments{Started: at(10, 40), Detected: at(11, 45), Resolved: at(12, 45)},
			Durations{TimeToDetect: mins(65), TimeToResolve: mins(125), Impact: mins(125), DetectionGap: "impact began 1 h 05 min before it was detected"},
		},
		{"15 minutes is prompt enough", Moments{Started: at(11, 30), Detected: at(11, 45)}, Durations{TimeToDetect: mins(15)}},
		{
			"a second over is not", Moments{Started: at(11, 30), Detected: fxPtr(fxAt(11, 45).Add(time.Second))},
			Durations{TimeToDetect: fxDur(15*time.Minute + time.Second), DetectionGap: "impact began 15 min before it was detected"},
		},
		{"acknowledged without detection", Moments{Started: at(11, 45), Acknowledged: at(11, 50)}, Durations{}},
		{
			"misordered pairs give no duration", Moments{Started: at(11, 45), Detected: at(11, 40), Acknowledged: at(11, 30), Mitigated: at(11, 0), Resolved: at(12, 0)},
			Durations{TimeToResolve: mins(15), Impact: mins(15)},
		},
		{
			"zones do not matter", Moments{Started: at(11, 45), Resolved: fxPtr(time.Date(2022, 11, 17, 11, 45, 0, 0, time.UTC))},
			Durations{TimeToResolve: mins(60), Impact: mins(60)},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ComputeDurations(c.m)
			check := func(field string, g, w *time.Duration) {
				if (g == nil) != (w == nil) || (g != nil && *g != *w) {
					t.Errorf("%s = %s, want %s", field, fxDurText(g), fxDurText(w))
				}
			}
			check("TimeToDetect", got.TimeToDetect, c.want.TimeToDetect)
			check("TimeToAcknowledge", got.TimeToAcknowledge, c.want.TimeToAcknowledge)
			check("TimeToMitigate", got.TimeToMitigate, c.want.TimeToMitigate)
			check("TimeToResolve", got.TimeToResolve, c.want.TimeToResolve)
			check("Impact", got.Impact, c.want.Impact)
			if got.DetectionGap != c.want.DetectionGap {
				t.Errorf("DetectionGap = %q, want %q", got.DetectionGap, c.want.DetectionGap)
			}
		})
	}
}

func fxDur(d time.Duration) *time.Duration { return &d }

func fxDurText(d *time.Duration) string {
	if d == nil {
		return "nil"
	}
	return d.String()
}

func TestFormatDuration(t *testing.T) {
	cases := []struct {
		d    time.Duration
		want string
	}{
		{0, "0 s"},
		{time.Nanosecond, "0 s"},
		{999 * time.Millisecond, "0 s"},
		{45 * time.Second, "45 s"},
		{59*time.Second + 900*time.Millisecond, "59 s"},
		{time.Minute, "1 min"},
		{5*time.Minute + 30*time.Second, "5 min"},
		{40 * time.Minute, "40 min"},
		{59*time.Minute + 59*time.Second, "59 min"},
		{time.Hour, "1 h"},
		{time.Hour + 5*time.Minute, "1 h 05 min"},
		{time.Hour + 5*time.Minute + 59*time.Second, "1 h 05 min"},
		{2*time.Hour + 45*time.Minute, "2 h 45 min"},
		{23*time.Hour + 59*time.Minute, "23 h 59 min"},
		{24 * time.Hour, "1 d"},
		{24*time.Hour + 30*time.Minute, "1 d"},
		{76 * time.Hour, "3 d 4 h"},
		{76*time.Hour + 59*time.Minute, "3 d 4 h"},
		{400 * 24 * time.Hour, "400 d"},
		{-90 * time.Second, "−1 min"},
		{-500 * time.Millisecond, "0 s"},
		{-(time.Hour + 5*time.Minute), "−1 h 05 min"},
		{math.MaxInt64, "106751 d 23 h"},
		{math.MinInt64, "−106751 d 23 h"},
	}
	for _, c := range cases {
		if got := FormatDuration(c.d); got != c.want {
			t.Errorf("FormatDuration(%s) = %q, want %q", c.d, got, c.want)
		}
	}
}
