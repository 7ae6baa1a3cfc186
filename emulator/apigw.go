package emulator

import (
	"github.com/frescolabs/fresco/lambdaapi/apispec"
)

// APIGatewayAPIs returns the APIs to serve: the template's APIs with the
// routes of the loaded functions' Api and HttpApi events. APIs without a
// route of a loaded function are left out.
func (e *Emulator) APIGatewayAPIs() []apispec.API {
	var out []apispec.API
	for _, a := range e.tmpl.APIs {
		api := apispec.API{
			Name:             a.LogicalID,
			Kind:             a.Type,
			Stage:            a.StageName,
			StageVariables:   a.StageVariables,
			BinaryMediaTypes: a.BinaryMediaTypes,
			CORS:             a.Cors,
		}
		for _, f := range e.tmpl.Functions {
			if _, loaded := e.loaded[f.Name]; !loaded {
				continue
			}
			for _, ev := range f.Events {
				if ev.API == a.LogicalID {
					api.Routes = append(api.Routes, apispec.Route{
						Key: ev.Route, Function: f.LogicalID, PayloadFormat: ev.PayloadFormat,
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
