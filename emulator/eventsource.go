package emulator

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/frescolabs/fresco/emulator/genevent"
	"github.com/frescolabs/fresco/emulator/sam"
	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/lambdaapi/apispec"
)

// EventSource is the event that the template's event name of function fn
// (logical id or FunctionName) would deliver at time now (fresco invoke
// --event-source): a Schedule's or ScheduleV2's event (its Input, or
// AWS's default event for now), or, for an Api or HttpApi event, the
// proxy request of its route that generate-event builds. Other event
// types are an error listing the events it can build.
func (p *Plan) EventSource(fn, name string, now time.Time) ([]byte, error) {
	spec, ok := p.tmpl.Function(fn)
	if !ok {
		return nil, fmt.Errorf("--event-source: the template has no function %s", fn)
	}
	for i := range spec.Schedules {
		if ev := &spec.Schedules[i]; ev.Name == name {
			return ev.Schedule(spec).Payload(now, invoke.RegionFromEnv(), invoke.DefaultAccountID)
		}
	}
	for _, ev := range spec.Events {
		if ev.Name == name {
			return p.apiEvent(ev)
		}
	}
	var have []string
	for _, ev := range spec.Schedules {
		have = append(have, ev.Name+" ("+ev.Type+")")
	}
	for _, ev := range spec.Events {
		typ := sam.EventTypeAPI
		if ev.Type == apispec.HTTPAPI {
			typ = sam.EventTypeHTTPAPI
		}
		have = append(have, ev.Name+" ("+typ+")")
	}
	list := "none"
	if len(have) > 0 {
		list = strings.Join(have, ", ")
	}
	return nil, fmt.Errorf("--event-source %s: function %s has no Schedule, ScheduleV2, Api or HttpApi event of that name (those are the types it builds; for others, fresco generate-event SERVICE EVENT | fresco invoke %s -e -); its events: %s",
		name, spec.LogicalID, fn, list)
}

// paramRE matches a route's path parameters, {name} and greedy {name+}.
var paramRE = regexp.MustCompile(`\{([^}+]+)\+?\}`)

// apiEvent is generate-event's proxy request of ev's route: its method
// (GET for ANY), and its path with each parameter standing for itself
// (/items/{id} is requested as /items/id), on the event's stage.
func (p *Plan) apiEvent(ev sam.Event) ([]byte, error) {
	name := "aws-proxy"
	if ev.Type == apispec.HTTPAPI && ev.PayloadFormat == apispec.PayloadV2 {
		name = "http-api-proxy"
	}
	svc, _ := genevent.LookupService("apigateway")
	gen, ok := svc.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("generate-event has no apigateway %s", name)
	}
	method, resource := ev.Route.Method(), ev.Route.Path()
	if method == apispec.MethodAny {
		method = "GET"
	}
	path := paramRE.ReplaceAllString(resource, "$1")
	if resource == apispec.DefaultRoute {
		path = "/"
	}
	args := []string{"--method", method, "--path", path, "--resource", resource, "--region", invoke.RegionFromEnv()}
	if a, ok := p.tmpl.API(ev.API); ok && a.StageName != "" {
		args = append(args, "--stage", a.StageName)
	}
	if method == "GET" || method == "HEAD" || method == "OPTIONS" {
		args = append(args, "--body", "")
	}
	fs := flag.NewFlagSet("event-source", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	sample := gen.NewSample(fs)
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("build the event of %s: %w", ev.Name, err)
	}
	b, err := sample.JSON()
	if err != nil {
		return nil, fmt.Errorf("build the event of %s: %w", ev.Name, err)
	}
	return bytes.TrimSpace(b), nil
}
