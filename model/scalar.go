package model

import (
	"strconv"
	"strings"
	"time"
)

// ValueError is a scalar that has the right YAML type but an invalid value.
type ValueError struct {
	Code string
	Msg  string
	Hint string
}

func (e *ValueError) Error() string { return e.Msg }

// UnmarshalText accepts a positive Go duration with a unit ("500ms", "5s", "1h").
func (d *Duration) UnmarshalText(b []byte) error {
	s := string(b)
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return &ValueError{Code: "L-value", Msg: "duration " + Quote(s) + " has no unit", Hint: "write a unit, e.g. " + shortNumber(s) + "s"}
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return &ValueError{Code: "L-value", Msg: Quote(s) + " is not a duration", Hint: `write a number and a unit: "500ms", "5s", "2m", "1h"`}
	}
	if v <= 0 {
		return &ValueError{Code: "L-value", Msg: "duration " + Quote(s) + " must be positive", Hint: "use a value above zero"}
	}
	if v%time.Millisecond != 0 {
		return &ValueError{Code: "L-value", Msg: "duration " + Quote(s) + " is finer than a millisecond", Hint: "round to whole milliseconds"}
	}
	*d = Duration(v)
	return nil
}

// shortNumber repeats a number in a hint, or a sample one when it is long.
func shortNumber(s string) string {
	if len(s) > 10 {
		return "5"
	}
	return s
}

// String renders the duration the way it is written in cluster files.
func (d Duration) String() string { return time.Duration(d).String() }

// Size is a byte count written as "1048576", "512k", "10m" or "1g".
type Size int64

var sizeUnits = map[byte]int64{'k': 1 << 10, 'm': 1 << 20, 'g': 1 << 30}

// UnmarshalText accepts a byte count with an optional k, m or g suffix.
func (s *Size) UnmarshalText(b []byte) error {
	text := strings.ToLower(string(b))
	mult := int64(1)
	if n := len(text); n > 0 {
		if u, ok := sizeUnits[text[n-1]]; ok {
			mult, text = u, text[:n-1]
		}
	}
	v, err := strconv.ParseInt(text, 10, 64)
	if err != nil || v <= 0 || v > (1<<40)/mult {
		return &ValueError{Code: "L-value", Msg: Quote(string(b)) + " is not a size", Hint: `write bytes or a number with k, m or g: "512k", "10m", "1g" (at most 1024g)`}
	}
	*s = Size(v * mult)
	return nil
}

// String renders the size with the largest exact unit.
func (s Size) String() string {
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"g", 1 << 30}, {"m", 1 << 20}, {"k", 1 << 10}} {
		if int64(s) >= u.mult && int64(s)%u.mult == 0 {
			return strconv.FormatInt(int64(s)/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(int64(s), 10)
}

// ParseBool reads a boolean as YAML writes one: true and false, or YAML
// 1.1's yes/no, on/off and y/n, each in lower, title or upper case (what
// a YAML library decodes into a boolean field).
func ParseBool(s string) (value, ok bool) {
	switch s {
	case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y":
		return true, true
	case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N":
		return false, true
	}
	return false, false
}
