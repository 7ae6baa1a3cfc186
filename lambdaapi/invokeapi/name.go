package invokeapi

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/frescolabs/fresco/internal/invoke"
)

// functionRef is a FunctionName label reduced to what the Backend needs.
type functionRef struct {
	Name string
	// Qualifier is the version or alias given in the name ("" when none).
	Qualifier string
}

// String is the shortest form that names the same function and qualifier.
func (f functionRef) String() string {
	if f.Qualifier == "" {
		return f.Name
	}
	return f.Name + ":" + f.Qualifier
}

var (
	rePartition     = regexp.MustCompile(`^(aws[a-zA-Z-]*)?$`)
	reRegion        = regexp.MustCompile(`^[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-[0-9]$`)
	reAccount       = regexp.MustCompile(`^[0-9]{12}$`)
	reName          = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)
	reNameQualifier = regexp.MustCompile(`^(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9_-]+)$`)
	reQualifier     = regexp.MustCompile(`^[a-zA-Z0-9$_-]*$`)
)

// parseFunctionName parses the FunctionName path label as it came on the wire
// (percent-encoded or not) into a function name and an optional qualifier.
// It unescapes exactly once. The accepted forms are
//
//	Name
//	Name:Qualifier
//	arn:<partition>:lambda:<region>:<account>:function:Name[:Qualifier]
//	<account>:function:Name[:Qualifier]
//
// with the pieces shaped as the service model's pattern says. Every failure is
// a 400 InvalidParameterValueException worded as Lambda's validation errors.
func parseFunctionName(escaped string) (functionRef, error) {
	s, err := url.PathUnescape(escaped)
	if err != nil {
		return functionRef{}, patternError(escaped)
	}
	if s == "" {
		return functionRef{}, lengthError("functionName", s, "greater than or equal to 1")
	}
	if len(s) > maxNamespacedName {
		return functionRef{}, lengthError("functionName", s, fmt.Sprintf("less than or equal to %d", maxNamespacedName))
	}

	parts := strings.Split(s, ":")
	var rest []string // name and optional qualifier
	switch {
	case parts[0] == "arn" && len(parts) > 2: // a function may be named "arn"
		if len(parts) < 7 || !rePartition.MatchString(parts[1]) || parts[2] != "lambda" ||
			!reRegion.MatchString(parts[3]) || !reAccount.MatchString(parts[4]) || parts[5] != "function" {
			return functionRef{}, patternError(s)
		}
		rest = parts[6:]
	case len(parts) >= 3 && reAccount.MatchString(parts[0]) && parts[1] == "function":
		rest = parts[2:]
	default:
		rest = parts
	}
	if len(rest) > 2 {
		return functionRef{}, patternError(s)
	}

	ref := functionRef{Name: rest[0]}
	if !reName.MatchString(ref.Name) {
		return functionRef{}, patternError(s)
	}
	if len(ref.Name) > maxFunctionName {
		return functionRef{}, lengthError("functionName", ref.Name, fmt.Sprintf("less than or equal to %d", maxFunctionName))
	}
	if len(rest) == 2 {
		ref.Qualifier = rest[1]
		if !reNameQualifier.MatchString(ref.Qualifier) || len(ref.Qualifier) > maxQualifier {
			return functionRef{}, patternError(s)
		}
	}
	return ref, nil
}

// resolveQualifier merges the qualifier derived from the name with the one of
// ?Qualifier= (either may be empty); they must agree when both are given.
func resolveQualifier(fromName, fromQuery string) (string, error) {
	if !reQualifier.MatchString(fromQuery) {
		return "", invoke.InvalidParameter("1 validation error detected: Value '%s' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", fromQuery, patternQualifier)
	}
	if len(fromQuery) > maxQualifier {
		return "", lengthError("qualifier", fromQuery, fmt.Sprintf("less than or equal to %d", maxQualifier))
	}
	switch {
	case fromQuery == "":
		return fromName, nil
	case fromName == "" || fromName == fromQuery:
		return fromQuery, nil
	}
	return "", invoke.InvalidParameter("%s", msgQualifierMismatch)
}

func patternError(value string) *invoke.ServiceError {
	return invoke.InvalidParameter("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", value, patternFunctionName)
}

func lengthError(field, value, bound string) *invoke.ServiceError {
	return invoke.InvalidParameter("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length %s", value, field, bound)
}
