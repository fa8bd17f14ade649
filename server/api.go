package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// readJSONObject reads a request body that must be one JSON object and
// returns its members undecoded, so that handlers can tell a missing field
// from a null one and name the field in every error.
func readJSONObject(c *gin.Context) (map[string]json.RawMessage, error) {
	if err := requireJSON(c); err != nil {
		return nil, err
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, err
		}
		return nil, errBadRequest("the request body could not be read: %v", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errBadRequest("the request body is empty; send a JSON object")
	}
	var obj map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&obj); err != nil {
		return nil, jsonSyntaxError(err)
	}
	if obj == nil {
		return nil, errBadRequest("the request body must be a JSON object, not null")
	}
	if dec.More() {
		return nil, errBadRequest("the request body has data after the JSON object")
	}
	return obj, nil
}

func requireJSON(c *gin.Context) error {
	ct := c.GetHeader("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return &appError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
			Message: fmt.Sprintf("send the body as Content-Type: application/json (got %q)", ct)}
	}
	return nil
}

func jsonSyntaxError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return errBadRequest("malformed JSON at byte %d: %v", syn.Offset, syn)
	case errors.As(err, &typ):
		return errBadRequest("the request body must be a JSON object, not %s", typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errBadRequest("malformed JSON: the body ends too early")
	}
	return errBadRequest("malformed JSON: %v", err)
}

// fieldError is a 400 that names the offending field.
func fieldError(field, msg string) error {
	return &appError{Status: http.StatusBadRequest, Code: "bad_request", Message: field + ": " + msg,
		Fields: map[string]string{field: msg}}
}

// etag is the strong validator of a versioned record.
func etag(kind string, id, version int64) string {
	return fmt.Sprintf(`"%s-%d-v%d"`, kind, id, version)
}

// ifMatch checks an If-Match header against the current ETag. required
// makes a missing header an error (428), so no client overwrites blindly.
func ifMatch(c *gin.Context, current string, required bool) error {
	h := strings.TrimSpace(c.GetHeader("If-Match"))
	if h == "" {
		if required {
			return &appError{Status: http.StatusPreconditionRequired, Code: "precondition_required",
				Message: "send If-Match with the ETag from your last GET, so that nobody's change is overwritten unseen"}
		}
		return nil
	}
	if h == "*" {
		return nil
	}
	for _, tag := range strings.Split(h, ",") {
		if strings.TrimPrefix(strings.TrimSpace(tag), "W/") == current {
			return nil
		}
	}
	return &appError{Status: http.StatusPreconditionFailed, Code: "stale",
		Message: "the record changed since you read it (its ETag is now " + current + "); GET it again and reapply your change"}
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
