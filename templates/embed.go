// Package templates embeds the text/template files, one family per target.
package templates

import "embed"

// FS holds every template, one file per target.
//
//go:embed *.tmpl
var FS embed.FS
