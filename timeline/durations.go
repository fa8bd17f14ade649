package timeline

import (
	"fmt"
	"time"
)

// DetectionGapThreshold is how long after the impact start detection may
// come before ComputeDurations explains the gap.
const DetectionGapThreshold = 15 * time.Minute

// ComputeDurations derives the durations from the key moments. A duration is
// nil when either end is missing or when its end comes before its start (a
// misordered pair, which ValidateMoments reports). Impact runs from started
// to mitigated, else to resolved.
func ComputeDurations(m Moments) Durations {
	d := Durations{
		TimeToDetect:      between(m.Started, m.Detected),
		TimeToAcknowledge: between(m.Detected, m.Acknowledged),
		TimeToMitigate:    between(m.Started, m.Mitigated),
		TimeToResolve:     between(m.Started, m.Resolved),
	}
	d.Impact = d.TimeToMitigate
	if d.Impact == nil {
		d.Impact = d.TimeToResolve
	}
	if d.TimeToDetect != nil && *d.TimeToDetect > DetectionGapThreshold {
		d.DetectionGap = "impact began " + FormatDuration(*d.TimeToDetect) + " before it was detected"
	}
	return d
}

func between(from, to *time.Time) *time.Duration {
	if from == nil || to == nil || to.Before(*from) {
		return nil
	}
	d := to.Sub(*from)
	return &d
}

// FormatDuration writes a duration for people, truncated to its two largest
// units: "45 s", "40 min", "1 h 05 min", "2 h", "3 d 4 h". Under a minute it
// counts seconds; a negative duration gets a minus sign.
func FormatDuration(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign = "−"
		if d == time.Duration(-1<<63) {
			d++ // -MinInt64 does not exist; a nanosecond does not show
		}
		d = -d
	}
	days := int64(d / (24 * time.Hour))
	hours := int64(d % (24 * time.Hour) / time.Hour)
	minutes := int64(d % time.Hour / time.Minute)
	seconds := int64(d % time.Minute / time.Second)
	switch {
	case days > 0 && hours > 0:
		return fmt.Sprintf("%s%d d %d h", sign, days, hours)
	case days > 0:
		return fmt.Sprintf("%s%d d", sign, days)
	case hours > 0 && minutes > 0:
		return fmt.Sprintf("%s%d h %02d min", sign, hours, minutes)
	case hours > 0:
		return fmt.Sprintf("%s%d h", sign, hours)
	case minutes > 0:
		return fmt.Sprintf("%s%d min", sign, minutes)
	default:
		if seconds == 0 {
			sign = ""
		}
		return fmt.Sprintf("%s%d s", sign, seconds)
	}
}
