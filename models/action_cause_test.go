package models_test

import (
	"context"
	"errors"
	"testing"

	"hindsight/internal/testdb"
	"hindsight/models"
)

// An action remembers the Five Whys step or factor it addresses, through
// creation, full and partial updates; anything else is refused.
func TestActionCause(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s, _ := withClock(t, d)
			ctx := context.Background()
			inc, err := s.CreateIncident(ctx, newIncident("Checkout failed"), nil)
			if err != nil {
				t.Fatal(err)
			}
			a, err := s.CreateAction(ctx, inc.ID, models.ActionInput{Title: "Cap client retries at 3", Cause: " why:w3 "}, nil)
			if err != nil || a.Cause != "why:w3" {
				t.Fatalf("create: %+v %v", a, err)
			}
			in := models.ActionInputOf(a)
			in.Status = "in_progress"
			if a, err = s.UpdateAction(ctx, a.ID, a.Version, in, nil); err != nil || a.Cause != "why:w3" {
				t.Fatalf("a partial update lost the cause: %+v %v", a, err)
			}
			in = models.ActionInputOf(a)
			in.Cause = "factor:f_2"
			if a, err = s.UpdateAction(ctx, a.ID, a.Version, in, nil); err != nil || a.Cause != "factor:f_2" {
				t.Fatalf("change the cause: %+v %v", a, err)
			}
			in.Cause = ""
			if a, err = s.UpdateAction(ctx, a.ID, a.Version, in, nil); err != nil || a.Cause != "" {
				t.Fatalf("clear the cause: %+v %v", a, err)
			}
			for _, bad := range []string{"w3", "why:", "root:w1", "why:w 3", "factor:" + string(make([]byte, 41))} {
				var ve *models.ValidationError
				if _, err := s.CreateAction(ctx, inc.ID, models.ActionInput{Title: "x", Cause: bad}, nil); !errors.As(err, &ve) || ve.Fields["cause"] == "" {
					t.Errorf("cause %q: %v", bad, err)
				}
			}
			if kind, id, ok := models.ParseActionCause("factor:f2"); !ok || kind != models.CauseFactor || id != "f2" {
				t.Errorf("parse: %q %q %v", kind, id, ok)
			}
		})
	}
}
