package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/frescolabs/fresco/emulator/genevent"
)

// fresco generate-event SERVICE EVENT [flags] prints a sample event, as
// `sam local generate-event` does. The events and their flags are
// genevent's; this is the command line around them.

func runGenerateEvent(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || genIsHelp(args[0]) {
		genPrintServices(stdout)
		return nil
	}
	if strings.HasPrefix(args[0], "-") {
		return &usageError{fmt.Sprintf("generate-event takes SERVICE EVENT before flags (services: %s)", genevent.ServiceNames())}
	}
	svc, ok := genevent.LookupService(args[0])
	if !ok {
		return &usageError{fmt.Sprintf("unknown service %q (services: %s)", args[0], genevent.ServiceNames())}
	}
	args = args[1:]
	if len(args) == 0 || genIsHelp(args[0]) {
		genPrintEvents(stdout, svc)
		return nil
	}
	if strings.HasPrefix(args[0], "-") {
		return &usageError{fmt.Sprintf("generate-event %s takes EVENT before flags (events: %s)", svc.Name, svc.EventNames())}
	}
	ev, ok := svc.Lookup(args[0])
	if !ok {
		return &usageError{fmt.Sprintf("unknown %s event %q (events: %s)", svc.Name, args[0], svc.EventNames())}
	}
	synopsis := fmt.Sprintf("generate-event %s %s [flags]", svc.Name, ev.Name)
	fs := newFlagSet("generate-event", synopsis, stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: fresco %s\n\nPrints %s (%s) as JSON.\n\nFlags:\n", synopsis, ev.Summary, svc.Summary)
		fs.PrintDefaults()
	}
	sample := ev.NewSample(fs)
	rest, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &usageError{fmt.Sprintf("generate-event %s %s takes no more arguments, got %q", svc.Name, ev.Name, rest)}
	}
	out, err := sample.JSON()
	if ue := (*genevent.UsageError)(nil); errors.As(err, &ue) {
		return &usageError{ue.Msg}
	}
	if err != nil {
		return err
	}
	if _, err := stdout.Write(out); err != nil {
		return fmt.Errorf("write event: %w", err)
	}
	return nil
}

func genIsHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "--h":
		return true
	}
	return false
}

func genPrintServices(w io.Writer) {
	fmt.Fprint(w, "Usage: fresco generate-event SERVICE EVENT [flags]\n\n"+
		"Prints a sample event as JSON, to edit or to pipe into 'fresco invoke NAME -e -'.\n\nServices:\n")
	for _, s := range genevent.Services {
		fmt.Fprintf(w, "  %-12s %s\n", s.Name, s.Summary)
	}
	fmt.Fprint(w, "\nRun 'fresco generate-event SERVICE' for a service's events.\n")
}

func genPrintEvents(w io.Writer, s genevent.Service) {
	fmt.Fprintf(w, "Usage: fresco generate-event %s EVENT [flags]\n\n%s events:\n", s.Name, s.Summary)
	for _, e := range s.Events {
		fmt.Fprintf(w, "  %-20s %s\n", e.Name, e.Summary)
	}
	fmt.Fprintf(w, "\nRun 'fresco generate-event %s EVENT --help' for an event's flags.\n", s.Name)
}
