package sam

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/awslabs/goformation/v7/intrinsics"
	"gopkg.in/yaml.v3"
)

// What fresco does to a template before goformation resolves its
// intrinsics, and after, for what goformation leaves out:
//
//   - YAML short forms goformation does not know are refused, naming where
//     they are (goformation keeps `!FooBar x` as `x`), except !Condition,
//     which it lacks and fresco writes in its long form;
//   - long forms it does not know (`Fn::FooBar`) are refused the same way;
//   - resources' own Condition is taken out before goformation sees it
//     (with conditions evaluated, it would replace the whole resource by
//     the condition's value), and a resource whose condition is false is
//     left out, as CloudFormation leaves it out;
//   - where each Ref, Fn::GetAtt and Fn::Sub variable is, so that one that
//     resolves to nothing is reported with the function and property it
//     is in.

// knownIntrinsics are the long forms of the intrinsic functions (and the
// Condition function of condition expressions) that CloudFormation has
// without a transform.
var knownIntrinsics = map[string]bool{
	"Ref": true, "Condition": true, "Fn::Base64": true, "Fn::Cidr": true, "Fn::FindInMap": true,
	"Fn::GetAtt": true, "Fn::GetAZs": true, "Fn::ImportValue": true, "Fn::Join": true,
	"Fn::Select": true, "Fn::Split": true, "Fn::Sub": true, "Fn::Transform": true,
	"Fn::And": true, "Fn::Equals": true, "Fn::If": true, "Fn::Not": true, "Fn::Or": true,
}

// knownTags are the YAML short forms goformation reads.
var knownTags = map[string]bool{
	"!Ref": true, "!GetAtt": true, "!Base64": true, "!FindInMap": true, "!GetAZs": true,
	"!ImportValue": true, "!Join": true, "!Select": true, "!Split": true, "!Sub": true,
	"!Equals": true, "!Cidr": true, "!And": true, "!If": true, "!Not": true, "!Or": true,
}

// intrinsicError is an intrinsic function fresco cannot resolve, at path
// (Resources.ID.Properties...).
type intrinsicError struct {
	path []string
	msg  string
}

func (e *intrinsicError) Error() string { return where(e.path) + e.msg }

// where names path for a message: "property A.B: " within a resource,
// else "A.B: ".
func where(path []string) string {
	if len(path) >= 3 && path[0] == "Resources" && path[2] == "Properties" {
		if len(path) == 3 {
			return "Properties: "
		}
		return "property " + strings.Join(path[3:], ".") + ": "
	}
	if len(path) >= 2 && path[0] == "Resources" {
		return strings.Join(path[2:], ".") + ": "
	}
	return strings.Join(path, ".") + ": "
}

// resourceOf is the logical id path is in, "" outside Resources.
func resourceOf(path []string) string {
	if len(path) >= 2 && path[0] == "Resources" {
		return path[1]
	}
	return ""
}

// yamlToJSON returns the template as JSON, its short forms in long form
// and nothing resolved; a JSON template is returned as it is.
func yamlToJSON(data []byte, path string) ([]byte, error) {
	if strings.HasSuffix(path, ".json") {
		return data, nil
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("invalid YAML template: %w", err)
	}
	if err := checkTags(&root, nil); err != nil {
		return nil, err
	}
	out, err := yaml.Marshal(&root)
	if err != nil {
		return nil, fmt.Errorf("invalid YAML template: %w", err)
	}
	goformationMu.Lock()
	defer goformationMu.Unlock()
	return intrinsics.ProcessYAML(out, &intrinsics.ProcessorOptions{NoProcess: true})
}

// checkTags refuses the short forms goformation does not know, and writes
// !Condition in its long form.
func checkTags(n *yaml.Node, path []string) error {
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") && !knownTags[n.Tag] {
		if n.Tag != "!Condition" || n.Kind != yaml.ScalarNode {
			return &intrinsicError{path, fmt.Sprintf("unknown intrinsic function %s (line %d)", n.Tag, n.Line)}
		}
		name := *n
		name.Tag = "!!str"
		*n = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: "Condition"}, &name,
		}}
	}
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for i, c := range n.Content {
			p := path
			if n.Kind == yaml.SequenceNode {
				p = append(slices.Clip(path), strconv.Itoa(i))
			}
			if err := checkTags(c, p); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := checkTags(n.Content[i+1], append(slices.Clip(path), n.Content[i].Value)); err != nil {
				return err
			}
		}
	}
	return nil
}

// reference is a Ref, an Fn::GetAtt or an Fn::Sub variable, and where it
// is.
type reference struct {
	name string // as intrinsicResolver.unresolved names it: X, or X.Attr
	path []string
}

// prepared is a template made ready for goformation's processor.
type prepared struct {
	tmpl map[string]any
	// conditions gives each resource that has a Condition its name.
	conditions map[string]string
	refs       []reference
}

// prepare checks the long forms of tmpl (the whole template, as JSON),
// takes the resources' conditions out and notes where references are.
func prepare(tmpl map[string]any) (*prepared, error) {
	p := &prepared{tmpl: tmpl, conditions: map[string]string{}}
	resources, _ := tmpl["Resources"].(map[string]any)
	for id, r := range resources {
		rm, ok := r.(map[string]any)
		if !ok {
			continue
		}
		if c, ok := rm["Condition"]; ok {
			name, ok := c.(string)
			if !ok {
				return nil, &intrinsicError{[]string{"Resources", id, "Condition"}, "must be the name of a condition"}
			}
			p.conditions[id] = name
			delete(rm, "Condition")
		}
	}
	for _, section := range []string{"Globals", "Resources", "Conditions"} {
		if err := p.walk(tmpl[section], []string{section}); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// subVariable matches the variables of an Fn::Sub string (not ${!Literal}).
var subVariable = regexp.MustCompile(`\$\{([^!}][^}]*)\}`)

func (p *prepared) walk(v any, path []string) error {
	switch v := v.(type) {
	case []any:
		for i, c := range v {
			if err := p.walk(c, append(slices.Clip(path), strconv.Itoa(i))); err != nil {
				return err
			}
		}
	case map[string]any:
		if len(v) == 1 {
			for k, arg := range v {
				if err := p.intrinsic(k, arg, path); err != nil {
					return err
				}
			}
		}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if err := p.walk(v[k], append(slices.Clip(path), k)); err != nil {
				return err
			}
		}
	}
	return nil
}

// intrinsic checks the object {k: arg}, at path, when it is an intrinsic
// function, and notes its references.
func (p *prepared) intrinsic(k string, arg any, path []string) error {
	if !strings.HasPrefix(k, "Fn::") && k != "Ref" {
		return nil
	}
	if !knownIntrinsics[k] {
		return &intrinsicError{path, "unknown intrinsic function " + k}
	}
	switch k {
	case "Ref":
		if name, ok := arg.(string); ok {
			p.refs = append(p.refs, reference{name, path})
		}
	case "Fn::GetAtt":
		switch a := arg.(type) {
		case string:
			p.refs = append(p.refs, reference{a, path})
		case []any:
			if len(a) == 2 {
				res, _ := a[0].(string)
				attr, _ := a[1].(string)
				p.refs = append(p.refs, reference{res + "." + attr, path})
			}
		}
	case "Fn::Sub":
		s, _ := arg.(string)
		var vars map[string]any
		if a, ok := arg.([]any); ok && len(a) == 2 {
			s, _ = a[0].(string)
			vars, _ = a[1].(map[string]any)
		}
		for _, m := range subVariable.FindAllStringSubmatch(s, -1) {
			if _, ok := vars[m[1]]; !ok {
				p.refs = append(p.refs, reference{m[1], path})
			}
		}
	}
	return nil
}

// referenceErrors reports the references in functions that resolved to
// nothing, naming where each is: to a parameter without a value it is a
// warning (as a stack without that parameter would not deploy, but SAM
// runs it), to a name nothing declares an error.
func (p *prepared) referenceErrors(res *intrinsicResolver, doc *templateDoc, isFunction func(id string) bool) (warnings []string, err error) {
	for _, r := range p.refs {
		if !res.unresolved[r.name] {
			continue
		}
		id := resourceOf(r.path)
		if id == "" || !isFunction(id) {
			continue // fresco reads nothing else of the template
		}
		target, attr, isAttr := strings.Cut(r.name, ".")
		_, isParam := doc.Parameters[target]
		_, isResource := doc.Resources[target]
		switch {
		case isParam && !isAttr:
			warnings = append(warnings, fmt.Sprintf("function %s: %sparameter %s has no Default and no override: it is empty", id, where(r.path), target))
		case isResource && isAttr:
			warnings = append(warnings, fmt.Sprintf("function %s: %sFn::GetAtt %s.%s: fresco does not know that attribute locally: it is empty", id, where(r.path), target, attr))
		case isAttr:
			return warnings, &TemplateError{LogicalID: id, Err: &intrinsicError{r.path, fmt.Sprintf("Fn::GetAtt %s.%s: the template has no resource %s", target, attr, target)}}
		default:
			return warnings, &TemplateError{LogicalID: id, Err: &intrinsicError{r.path, fmt.Sprintf("%s names no parameter, pseudo parameter or resource of the template", target)}}
		}
	}
	return warnings, nil
}

// dropByCondition removes from doc the resources whose condition is false,
// and refuses a condition that is not in Conditions or is not a boolean.
func (p *prepared) dropByCondition(doc *templateDoc) error {
	for _, id := range slices.Sorted(maps.Keys(p.conditions)) {
		name := p.conditions[id]
		raw, ok := doc.Conditions[name]
		if !ok {
			return &TemplateError{LogicalID: id, Err: fmt.Errorf("Condition: %s is not in the template's Conditions", name)}
		}
		var on bool
		if err := json.Unmarshal(raw, &on); err != nil {
			return &TemplateError{LogicalID: id, Err: fmt.Errorf("Condition: %s does not evaluate to true or false (%s)", name, raw)}
		}
		if !on {
			delete(doc.Resources, id)
		}
	}
	return nil
}

// noValue is what Ref AWS::NoValue resolves to, until removeNoValue takes
// out the property or list item it is the value of, as CloudFormation
// does.
const noValue = "\x00fresco:AWS::NoValue"

func removeNoValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, c := range v {
			if c == noValue {
				delete(v, k)
			} else {
				v[k] = removeNoValue(c)
			}
		}
	case []any:
		out := v[:0]
		for _, c := range v {
			if c != noValue {
				out = append(out, removeNoValue(c))
			}
		}
		return out
	}
	return v
}
