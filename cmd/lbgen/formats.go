package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lbgen/lbgen/model"
	"github.com/lbgen/lbgen/validate"
)

// Formats of lbgen validate besides text and json: SARIF 2.1.0 for code
// scanning (GitHub, GitLab, Azure DevOps), and GitHub Actions workflow
// commands, which show each finding on its line of a pull request.
const (
	formatSARIF  = "sarif"
	formatGitHub = "github"
)

// writeGitHub writes one workflow command per finding, and one per file
// that could not be read.
func writeGitHub(w io.Writer, report validateReport) {
	for _, f := range report.Files {
		if f.Error != "" {
			fmt.Fprintf(w, "::error file=%s,title=lbgen::%s\n", ghProperty(f.File), ghData(f.Error))
		}
	}
	for _, d := range report.Diagnostics {
		level, msg := finding(d)
		fmt.Fprintf(w, "::%s file=%s,line=%d,col=%d,title=%s::%s\n", level, ghProperty(d.File), d.Line, d.Col, ghProperty(d.Code), ghData(msg))
	}
}

// finding is a finding's level ("error" or "warning", as both formats
// name them) and its message followed by the fix.
func finding(d model.Diagnostic) (level, msg string) {
	level, msg = "error", d.Message
	if d.Severity == model.SevWarning {
		level = "warning"
	}
	if d.Hint != "" {
		msg += "\nfix: " + d.Hint
	}
	return level, msg
}

// ghData escapes a workflow command's message, ghProperty a property value
// (GitHub's toolkit escaping).
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func ghProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// sarifLog is the subset of SARIF 2.1.0 lbgen writes.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string            `json:"id"`
	ShortDescription     sarifText         `json:"shortDescription"`
	FullDescription      sarifText         `json:"fullDescription"`
	Help                 sarifText         `json:"help"`
	DefaultConfiguration sarifRuleDefaults `json:"defaultConfiguration"`
}

type sarifRuleDefaults struct {
	Level string `json:"level"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn"`
}

// writeSARIF writes the report as one SARIF run. Rules are every lint
// code, with lbgen explain's text as help, so a code-scanning page can show
// it; a file that could not be read is a tool notification.
func writeSARIF(w io.Writer, report validateReport) error {
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name: "lbgen", Version: version(), InformationURI: "https://github.com/lbgen/lbgen",
		}},
		Invocations: []sarifInvocation{{ExecutionSuccessful: report.Error == ""}},
		Results:     []sarifResult{},
	}
	for _, l := range validate.Lints {
		level := "error"
		if !slices.Contains(l.Severities, model.SevError) {
			level = "warning"
		}
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID: l.Code, ShortDescription: sarifText{l.Title}, FullDescription: sarifText{l.Explain},
			Help: sarifText{l.Explain}, DefaultConfiguration: sarifRuleDefaults{level},
		})
	}
	inv := &run.Invocations[0]
	for _, f := range report.Files {
		if f.Error != "" {
			inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
				Level: "error", Message: sarifText{f.Error},
				Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{sarifURI(f.File)}}}},
			})
		}
	}
	if report.Error != "" {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{Level: "error", Message: sarifText{report.Error}})
	}
	for _, d := range report.Diagnostics {
		level, msg := finding(d)
		run.Results = append(run.Results, sarifResult{
			RuleID:    d.Code,
			RuleIndex: slices.IndexFunc(validate.Lints, func(l validate.Lint) bool { return l.Code == d.Code }),
			Level:     level,
			Message:   sarifText{msg},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifact{sarifURI(d.File)},
				Region:           &sarifRegion{StartLine: max(d.Line, 1), StartColumn: max(d.Col, 1)},
			}}},
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	})
}

// sarifURI names a file as a relative URI reference, as code scanning
// resolves it against the repository root.
func sarifURI(file string) string {
	return (&url.URL{Path: filepath.ToSlash(file)}).String()
}
