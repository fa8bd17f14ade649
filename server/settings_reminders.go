package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight/models"
	"hindsight/reminders"
)

// reminderSettingsView is the reminders page: when digests go out, where
// to, and a form for a new channel.
type reminderSettingsView struct {
	Settings   models.ReminderSettings
	Cadence    string    // in words, when valid
	NextAt     time.Time // the next digest, when enabled
	Channels   []models.NotificationChannel
	Cadences   []string
	Weekdays   []time.Weekday
	Errors     map[string]string
	Conflict   bool
	NewChannel channelForm
	// Typed holds the number fields as typed, so that a refused form shows
	// them back as they were, blanks included.
	Typed map[string]string
}

// channelForm is the form's view of a channel.
type channelForm struct {
	ID         int64
	Kind       string
	Name       string
	Enabled    bool
	Settings   models.ChannelSettings
	HasSecret  bool
	Secret     string // shown only for a generic webhook's signing key
	Errors     map[string]string
	Kinds      []string
	Securities []string
}

func (s *Server) reminderSettings(c *gin.Context) {
	s.renderReminderSettings(c, http.StatusOK, nil, nil, nil)
}

func (s *Server) renderReminderSettings(c *gin.Context, status int, edited *models.ReminderSettings, errs map[string]string, newChannel *channelForm) {
	ctx := c.Request.Context()
	cur, err := s.store.ReminderSettings(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	channels, err := s.store.Channels(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := reminderSettingsView{Settings: *cur, Channels: channels, Cadences: reminders.Cadences, Errors: errs,
		Weekdays: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}}
	if cad, err := reminders.NewCadence(cur.Every, cur.Weekday, cur.Hour, cur.Zone); err == nil {
		v.Cadence = cad.Describe()
		if cur.Enabled {
			v.NextAt = cad.Next(s.store.Now())
		}
	}
	v.Typed = map[string]string{"hour": strconv.Itoa(v.Settings.Hour), "due_soon_days": strconv.Itoa(v.Settings.DueSoonDays)}
	if edited != nil {
		v.Conflict = status == http.StatusConflict
		if !v.Conflict {
			v.Settings = *edited
			v.Typed = map[string]string{"hour": c.PostForm("hour"), "due_soon_days": c.PostForm("due_soon_days")}
		}
	}
	v.NewChannel = channelForm{Kind: models.ChannelSMTP, Enabled: true, Settings: models.ChannelSettings{Port: 587, Security: "starttls"}}
	if newChannel != nil {
		v.NewChannel = *newChannel
	}
	v.NewChannel.Kinds, v.NewChannel.Securities = models.ChannelKinds, models.SMTPSecurities
	s.render(c, status, "reminders", "Reminders", v)
}

func (s *Server) reminderSettingsSubmit(c *gin.Context) {
	in := models.ReminderSettings{Enabled: c.PostForm("enabled") == "on", Every: c.PostForm("every"),
		Zone: strings.TrimSpace(c.PostForm("zone"))}
	errs := map[string]string{}
	in.Weekday = formInt(c, "weekday", -1)
	in.Hour = formInt(c, "hour", -1)
	in.DueSoonDays = formInt(c, "due_soon_days", -1)
	version := int64(formInt(c, "version", 0))
	_, err := s.store.SaveReminderSettings(c.Request.Context(), in, version, currentUser(c).Email)
	var ve *models.ValidationError
	switch {
	case errors.As(err, &ve):
		for k, v := range ve.Fields {
			errs[k] = v
		}
		s.renderReminderSettings(c, http.StatusUnprocessableEntity, &in, errs, nil)
	case errors.Is(err, models.ErrStale):
		s.renderReminderSettings(c, http.StatusConflict, &in, nil, nil)
	case err != nil:
		s.fail(c, err)
	default:
		flash := "Reminders are off."
		if in.Enabled {
			flash = "Reminders saved."
		}
		redirect(c, "/settings/reminders", flash)
	}
}

// formInt reads an integer form field; def when absent or not a number
// (validation then names the field).
func formInt(c *gin.Context, name string, def int) int {
	n, err := strconv.Atoi(strings.TrimSpace(c.PostForm(name)))
	if err != nil {
		return def
	}
	return n
}

func parseChannelForm(c *gin.Context) (channelForm, models.ChannelInput) {
	f := channelForm{Kind: c.PostForm("kind"), Name: c.PostForm("name"), Enabled: c.PostForm("enabled") == "on",
		Settings: models.ChannelSettings{Host: c.PostForm("host"), Port: formInt(c, "port", 0), Username: c.PostForm("username"),
			From: c.PostForm("from"), Security: c.PostForm("security"), URL: c.PostForm("url")}}
	in := models.ChannelInput{Kind: f.Kind, Name: f.Name, Enabled: f.Enabled, Settings: f.Settings, Secret: c.PostForm("secret")}
	return f, in
}

func (s *Server) channelCreate(c *gin.Context) {
	f, in := parseChannelForm(c)
	ch, err := s.store.CreateChannel(c.Request.Context(), in)
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		f.Errors = ve.Fields
		s.renderReminderSettings(c, http.StatusUnprocessableEntity, nil, nil, &f)
		return
	} else if err != nil {
		s.fail(c, err)
		return
	}
	redirect(c, "/settings/reminders/channels/"+strconv.FormatInt(ch.ID, 10), "Channel added. Send a test message to check it.")
}

func (s *Server) loadChannel(c *gin.Context) *models.NotificationChannel {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		s.fail(c, errNotFound("channel"))
		return nil
	}
	ch, err := s.store.Channel(c.Request.Context(), id)
	if errors.Is(err, models.ErrNotFound) {
		s.fail(c, errNotFound("channel"))
		return nil
	} else if err != nil {
		s.fail(c, err)
		return nil
	}
	return ch
}

func channelFormOf(ch *models.NotificationChannel) channelForm {
	f := channelForm{ID: ch.ID, Kind: ch.Kind, Name: ch.Name, Enabled: ch.Enabled, Settings: ch.ParsedSettings(), HasSecret: ch.Secret != ""}
	if ch.Kind == models.ChannelWebhook {
		f.Secret = ch.Secret
	}
	return f
}

func (s *Server) renderChannel(c *gin.Context, status int, f channelForm) {
	f.Kinds, f.Securities = models.ChannelKinds, models.SMTPSecurities
	s.render(c, status, "reminder_channel", f.Name, f)
}

func (s *Server) channelShow(c *gin.Context) {
	if ch := s.loadChannel(c); ch != nil {
		s.renderChannel(c, http.StatusOK, channelFormOf(ch))
	}
}

func (s *Server) channelUpdate(c *gin.Context) {
	ch := s.loadChannel(c)
	if ch == nil {
		return
	}
	f, in := parseChannelForm(c)
	_, err := s.store.UpdateChannel(c.Request.Context(), ch.ID, in)
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		cur := channelFormOf(ch)
		f.ID, f.Kind, f.HasSecret, f.Secret, f.Errors = ch.ID, ch.Kind, cur.HasSecret, cur.Secret, ve.Fields
		s.renderChannel(c, http.StatusUnprocessableEntity, f)
		return
	} else if err != nil {
		s.fail(c, err)
		return
	}
	redirect(c, "/settings/reminders/channels/"+strconv.FormatInt(ch.ID, 10), "Channel saved.")
}

func (s *Server) channelRotate(c *gin.Context) {
	ch := s.loadChannel(c)
	if ch == nil {
		return
	}
	if _, err := s.store.RotateChannelSecret(c.Request.Context(), ch.ID); err != nil {
		s.fail(c, errBadRequest("only a generic webhook has a signing key to rotate"))
		return
	}
	redirect(c, "/settings/reminders/channels/"+strconv.FormatInt(ch.ID, 10), "New signing key created; the old one no longer signs. Update your receiver.")
}

func (s *Server) channelDelete(c *gin.Context) {
	ch := s.loadChannel(c)
	if ch == nil {
		return
	}
	if err := s.store.DeleteChannel(c.Request.Context(), ch.ID); err != nil {
		s.fail(c, err)
		return
	}
	redirect(c, "/settings/reminders", "Channel "+ch.Name+" deleted; its past deliveries stay in the log.")
}

// channelKindLabels names the channel kinds in forms.
var channelKindLabels = map[string]string{
	models.ChannelSMTP:    "E-mail (SMTP)",
	models.ChannelSlack:   "Slack-compatible incoming webhook",
	models.ChannelWebhook: "Generic webhook (signed JSON)",
}

// channelTest sends a test message through a channel and says what the
// receiver answered.
func (s *Server) channelTest(c *gin.Context) {
	ch := s.loadChannel(c)
	if ch == nil {
		return
	}
	to := "/settings/reminders/channels/" + strconv.FormatInt(ch.ID, 10)
	if err := s.reminders.SendTest(c.Request.Context(), ch, currentUser(c)); err != nil {
		s.log.InfoContext(c.Request.Context(), "test message failed", "channel", ch.ID, "err", err)
		redirect(c, to, "The test message was not sent: "+err.Error())
		return
	}
	redirect(c, to, "Test message sent.")
}
