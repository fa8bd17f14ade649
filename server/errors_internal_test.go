package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"hindsight/models"
)

// classify maps errors to statuses; a request its client abandoned is not
// a server fault (it used to be logged as a 500).
func TestClassify(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{fmt.Errorf("save lessons: %w", context.Canceled), statusClientClosed},
		{fmt.Errorf("save: %w", models.ErrStale), http.StatusPreconditionFailed},
		{&models.ValidationError{Fields: map[string]string{"title": "enter a title"}}, http.StatusUnprocessableEntity},
		{models.ErrPublished, http.StatusConflict},
		{errors.New("connection reset"), http.StatusInternalServerError},
		{context.DeadlineExceeded, http.StatusInternalServerError},
	} {
		if got := classify(c.err).Status; got != c.want {
			t.Errorf("classify(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}
