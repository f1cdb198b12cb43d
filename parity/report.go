package parity

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteTable prints a scenario-by-target table, then the details of every
// result that is not a plain pass.
func (r *Report) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "parity: %s\n", r.Cluster)
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "SCENARIO\tRULE\t%s\n", strings.ToUpper(strings.Join(r.Runners, "\t")))
	for _, sc := range r.Scenarios {
		row := []string{sc, ""}
		for _, runner := range r.Runners {
			res := r.result(runner, sc)
			row[1] = res.Rule
			row = append(row, string(res.Status))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, res := range r.Results {
		if res.Status == Fail || res.Status == Divergence {
			fmt.Fprintf(w, "%s %s %s: %s\n", res.Runner, res.Scenario, res.Status, res.Detail)
		}
	}
	return nil
}

// WriteJSON prints the whole report.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func (r *Report) result(runner, scenario string) Result {
	for _, res := range r.Results {
		if res.Runner == runner && res.Scenario == scenario {
			return res
		}
	}
	return Result{Status: NotApplies}
}
