package fresco

import (
	"encoding/json"
	"testing"
)

func TestErrorDocument(t *testing.T) {
	for _, tc := range []struct {
		typ, body string
		init      bool
		wantType  string
		wantBody  string
	}{
		{"MyError", `{"errorMessage":"m","errorType":"MyError"}`, false, "MyError", `{"errorMessage":"m","errorType":"MyError"}`},
		{"Header", `{"errorMessage":"m"}`, false, "Header", `{"errorMessage":"m","errorType":"Header"}`},
		{"", `{"errorMessage":"m","errorType":"FromBody"}`, false, "FromBody", `{"errorMessage":"m","errorType":"FromBody"}`},
		{"", `{}`, false, "Unhandled", `{"errorMessage":"","errorType":"Unhandled"}`},
		{"", `not json`, true, "Runtime.InitError", `{"errorMessage":"not json","errorType":"Runtime.InitError"}`},
		{"T", `["an","array"]`, false, "T", `{"errorMessage":"[\"an\",\"array\"]","errorType":"T"}`},
		{"T", `{"errorMessage":"m","errorType":"T","stackTrace":["a"]}`, false, "T", `{"errorMessage":"m","errorType":"T","stackTrace":["a"]}`},
		{"H", `{"errorMessage":7,"errorType":42}`, false, "H", `{"errorMessage":"7","errorType":"H"}`},
	} {
		typ, body := ErrorDocument(tc.typ, []byte(tc.body), tc.init)
		if typ != tc.wantType || string(body) != tc.wantBody {
			t.Errorf("ErrorDocument(%q, %q) = %q, %s; want %q, %s", tc.typ, tc.body, typ, body, tc.wantType, tc.wantBody)
		}
	}
}

// FuzzErrorDocument: whatever a guest posts as an error, the host answers
// with a JSON object carrying a non-empty errorType and an errorMessage.
func FuzzErrorDocument(f *testing.F) {
	f.Add("T", []byte(`{"errorMessage":"m"}`))
	f.Add("", []byte(`{"errorType":42}`))
	f.Add("x", []byte("\xff\xfe"))
	f.Add("", []byte(`null`))
	f.Fuzz(func(t *testing.T, typ string, body []byte) {
		gotType, doc := ErrorDocument(typ, body, false)
		var d struct {
			ErrorType    *string `json:"errorType"`
			ErrorMessage *string `json:"errorMessage"`
		}
		if err := json.Unmarshal(doc, &d); err != nil {
			t.Fatalf("document %q is not an error object: %v", doc, err)
		}
		if gotType == "" || d.ErrorType == nil || *d.ErrorType != gotType {
			t.Fatalf("errorType %q, document %s", gotType, doc)
		}
		if d.ErrorMessage == nil {
			t.Fatalf("no string errorMessage in %s", doc)
		}
	})
}
