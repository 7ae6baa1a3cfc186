// Package genevent builds the sample events of fresco generate-event, as
// `sam local generate-event` does: one builder per SERVICE EVENT, with its
// flags ([Services], [Event.NewSample]). Every event is a value of its
// aws-lambda-go events type, encoded as that type encodes itself, so what a
// Go handler decodes is exactly what was printed; the values that look
// random come from a seed of the flags ([IDSource]), so the same command
// prints the same event.
//
// The API Gateway events are not built here: genevent makes the
// *http.Request the flags describe and runs it through lambdaapi/apigw's
// event builder ([apigw.BuildEvent]), the one fresco start serves with, so
// that the samples and the served events cannot drift apart. The REQUEST
// authorizers' events are made from those proxy events too.
//
// genevent imports lambdaapi/apigw and lambdaapi/apispec for that builder
// and no other HTTP code; the command line (flag parsing, usage, exit codes)
// stays in package emulator.
package genevent
