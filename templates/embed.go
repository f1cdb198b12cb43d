// Package templates embeds the text/template files, one family per target.
package templates

import "embed"

// FS holds every template; partials start with an underscore.
//
//go:embed *.tmpl
var FS embed.FS
