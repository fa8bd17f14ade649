package timeline

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// Suspect weights. A suspect's score is the sum of the parts that apply to
// it, each shown in its reasons, so that the ranking explains itself:
//
//	part                                              points
//	same service as the incident                        +40
//	another service (when the scope names services)     −30
//	same environment as the incident                    +15
//	another environment                                 −25
//	closeness to the impact start                     0…+25  linear: +25 at the impact start, 0 at the window's edge
//	failed                                              +20
//	cancelled                                           −10
//	rolled back                                         +20  its status says so, or a later rollback deploy of its
//	                                                         service (even after the impact: pass those events too)
//	carries database migrations                         +15
//	other deploys or changes within 10 min, either side  +5  each, at most +10 (same environment, any service)
//
// Unknowns count for nothing: an event without a service or environment, or
// a scope without them, gets neither bonus nor penalty. Points are whole
// numbers (closeness is rounded), so the parts in the reasons add up to the
// score exactly.
const (
	WeightSameService      = 40
	WeightOtherService     = -30
	WeightSameEnvironment  = 15
	WeightOtherEnvironment = -25
	WeightProximity        = 25 // at the impact start; decays linearly to 0 at the window's edge
	WeightFailed           = 20
	WeightRolledBack       = 20
	WeightMigrations       = 15
	WeightNeighbour        = 5 // per other deploy or change within NeighbourWindow
	WeightNeighboursMax    = 10
	WeightCancelled        = -10
)

// NeighbourWindow is how close (either side) other deploys and changes must
// be to count against a suspect: a crowded moment is harder to reason about.
const NeighbourWindow = 10 * time.Minute

// DefaultSuspectWindow is the window RankSuspects uses when given none: as
// far back as the timeline import looks before the impact start.
const DefaultSuspectWindow = 2 * time.Hour

// RankSuspects ranks the deploys and changes that started within
// [impactStart−window, impactStart] (window ≤ 0 means DefaultSuspectWindow),
// on every service and environment: none is hidden, a less likely one only
// ranks lower. Highest score first; ties go to the one closer to the impact
// start, then to the lower ID. Events that started after the impact are no
// suspects (see LateDeploys). The result is never nil; it is empty when
// impactStart is zero.
func RankSuspects(events []Event, scope Scope, impactStart time.Time, window time.Duration) []Suspect {
	out := []Suspect{}
	if impactStart.IsZero() {
		return out
	}
	if window <= 0 {
		window = DefaultSuspectWindow
	}
	sc := newScopeMatch(scope)
	index := newChangeIndex(events)
	rolledBack := index.rolledBack(events)
	type ranked struct {
		Suspect
		gap time.Duration
		idx int
	}
	var rs []ranked
	for i := range events {
		e := &events[i]
		if !isChangeEvent(e) {
			continue
		}
		gap := impactStart.Sub(e.StartsAt)
		if gap < 0 || gap > window {
			continue
		}
		var reasons []string
		score := 0
		add := func(points int, text string) {
			score += points
			reasons = append(reasons, text+" ("+signed(points)+")")
		}
		if sc.namesServices() && strings.TrimSpace(e.Service) != "" {
			if sc.inScope(e) {
				add(WeightSameService, "same service "+backticked(e.Service))
			} else {
				add(WeightOtherService, "other service "+backticked(e.Service))
			}
		}
		if env := strings.TrimSpace(e.Environment); sc.environment != "" && env != "" {
			if strings.EqualFold(env, sc.environment) {
				add(WeightSameEnvironment, "same environment "+env)
			} else {
				add(WeightOtherEnvironment, "other environment "+env)
			}
		}
		closeness := int(math.Round(WeightProximity * (1 - float64(gap)/float64(window))))
		when := FormatDuration(gap) + " before impact"
		if gap == 0 {
			when = "at the impact start"
		}
		score += closeness
		reasons = append(reasons, when+" ("+signed(closeness)+", closer scores higher)")
		switch {
		case hasStatus(e.Status, "failed"):
			add(WeightFailed, "failed")
		case hasStatus(e.Status, "cancelled"), hasStatus(e.Status, "canceled"):
			add(WeightCancelled, "cancelled")
		}
		if rolledBack[i] {
			add(WeightRolledBack, "rolled back")
		}
		if e.HasMigrations {
			add(WeightMigrations, "carries database migrations")
		}
		if n, text := index.neighbours(i); n > 0 {
			add(min(n*WeightNeighbour, WeightNeighboursMax), text)
		}
		rs = append(rs, ranked{Suspect{Event: *e, Score: float64(score), Reasons: reasons}, gap, i})
	}
	sort.Slice(rs, func(a, b int) bool {
		x, y := rs[a], rs[b]
		switch {
		case x.Score != y.Score:
			return x.Score > y.Score
		case x.gap != y.gap:
			return x.gap < y.gap
		case x.Event.ID != y.Event.ID:
			return x.Event.ID < y.Event.ID
		}
		return x.idx < y.idx
	})
	for _, r := range rs {
		out = append(out, r.Suspect)
	}
	return out
}

// LateDeploys lists the deploys and changes that started after the impact
// start, on every service, oldest first (then by ID): they cannot have
// caused the incident but may have mitigated or worsened it. Never nil;
// empty when impactStart is zero.
func LateDeploys(events []Event, impactStart time.Time) []Event {
	out := []Event{}
	if impactStart.IsZero() {
		return out
	}
	var idx []int
	for i := range events {
		if isChangeEvent(&events[i]) && events[i].StartsAt.After(impactStart) {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return eventBefore(&events[idx[a]], &events[idx[b]]) })
	for _, i := range idx {
		out = append(out, events[i])
	}
	return out
}

// isChangeEvent: a deploy or change with a known start.
func isChangeEvent(e *Event) bool {
	return (isKind(e, kindDeploy) || isKind(e, kindChange)) && !e.StartsAt.IsZero()
}

// changeIndex holds the deploys and changes with a start, ordered by start
// then ID, with what the ranking asks of them worked out once.
type changeIndex struct {
	items []changeItem
	pos   map[int]int // event index → position in items
}

type changeItem struct {
	idx      int // in events
	start    time.Time
	id       int64
	service  string // serviceKey
	env      string // lowercased, "" when none
	deploy   bool
	rollback bool // looksLikeRollback (deploys only)
}

func newChangeIndex(events []Event) changeIndex {
	ci := changeIndex{pos: map[int]int{}}
	for i := range events {
		e := &events[i]
		if !isChangeEvent(e) {
			continue
		}
		deploy := isKind(e, kindDeploy)
		ci.items = append(ci.items, changeItem{idx: i, start: e.StartsAt, id: e.ID, service: serviceKey(e.Service),
			env: strings.ToLower(strings.TrimSpace(e.Environment)), deploy: deploy, rollback: deploy && looksLikeRollback(e)})
	}
	sort.SliceStable(ci.items, func(a, b int) bool {
		x, y := ci.items[a], ci.items[b]
		if !x.start.Equal(y.start) {
			return x.start.Before(y.start)
		}
		return x.id < y.id
	})
	for p, it := range ci.items {
		ci.pos[it.idx] = p
	}
	return ci
}

func (x changeItem) sameEnvironment(y changeItem) bool {
	return x.env == "" || y.env == "" || x.env == y.env
}

// rolledBack marks, by event index, the deploys that were rolled back: the
// status or status history says rolled_back or reverted, or a later deploy of
// the same service (and environment) is a rollback, which then counts
// against the latest deploy of that service before it.
func (ci changeIndex) rolledBack(events []Event) map[int]bool {
	marked := map[int]bool{}
	for p, it := range ci.items {
		if !it.deploy {
			continue
		}
		e := &events[it.idx]
		if mentionsRollback(e.Status) || slices.ContainsFunc(e.History, func(h StatusChange) bool { return mentionsRollback(h.Status) }) {
			marked[it.idx] = true
		}
		if !it.rollback {
			continue
		}
		for q := p - 1; q >= 0; q-- {
			o := ci.items[q]
			if o.deploy && !o.rollback && o.start.Before(it.start) && o.service == it.service && o.sameEnvironment(it) {
				marked[o.idx] = true
				break
			}
		}
	}
	return marked
}

// neighbours counts the other deploys and changes (same environment, any
// service) within NeighbourWindow of events[i], and says so.
func (ci changeIndex) neighbours(i int) (int, string) {
	p, ok := ci.pos[i]
	if !ok {
		return 0, ""
	}
	it := ci.items[p]
	from, to := it.start.Add(-NeighbourWindow), it.start.Add(NeighbourWindow)
	first := sort.Search(len(ci.items), func(q int) bool { return !ci.items[q].start.Before(from) })
	deploys, changes := 0, 0
	for q := first; q < len(ci.items) && !ci.items[q].start.After(to); q++ {
		o := ci.items[q]
		if q == p || !o.sameEnvironment(it) {
			continue
		}
		if o.deploy {
			deploys++
		} else {
			changes++
		}
	}
	var parts []string
	if deploys > 0 {
		parts = append(parts, plural(deploys, "other deploy", "other deploys"))
	}
	if changes > 0 {
		word := "other change"
		if deploys > 0 {
			word = "change"
		}
		parts = append(parts, plural(changes, word, word+"s"))
	}
	return deploys + changes, strings.Join(parts, " and ") + " within " + FormatDuration(NeighbourWindow)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// signed writes points with their sign: "+40", "−30", "+0".
func signed(points int) string {
	if points < 0 {
		return fmt.Sprintf("−%d", -points)
	}
	return fmt.Sprintf("+%d", points)
}
