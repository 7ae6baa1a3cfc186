package emulator

import (
	"github.com/frescolabs/fresco/emulator/sam"
	"github.com/frescolabs/fresco/lambdaapi"
)

// APIGatewayAPIs returns the APIs to serve: the template's APIs with the
// routes of the loaded functions' Api and HttpApi events. APIs without a
// route of a loaded function are left out.
func (e *Emulator) APIGatewayAPIs() []lambdaapi.API {
	var out []lambdaapi.API
	for _, a := range e.tmpl.APIs {
		api := lambdaapi.API{
			Name:             a.LogicalID,
			Kind:             lambdaapi.RESTAPI,
			Stage:            a.StageName,
			StageVariables:   a.StageVariables,
			BinaryMediaTypes: a.BinaryMediaTypes,
			CORS:             a.Cors,
		}
		if a.Type == sam.EventTypeHTTPAPI {
			api.Kind = lambdaapi.HTTPAPI
		}
		for _, f := range e.tmpl.Functions {
			if _, loaded := e.loaded[f.Name]; !loaded {
				continue
			}
			for _, ev := range f.Events {
				if ev.API == a.LogicalID {
					api.Routes = append(api.Routes, lambdaapi.Route{
						Method: ev.Method, Path: ev.Path, Function: f.LogicalID, PayloadFormatVersion: ev.PayloadFormatVersion,
					})
				}
			}
		}
		if len(api.Routes) > 0 {
			out = append(out, api)
		}
	}
	return out
}
