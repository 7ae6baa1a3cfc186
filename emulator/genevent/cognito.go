package genevent

import (
	"flag"
	"regexp"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// The events of Amazon Cognito user pools' Lambda triggers (SAM has none):
// the header every trigger shares and each trigger's request, with the
// response its handler fills in as Cognito sends it, at its defaults.

var (
	genUserPoolIDRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+_[0-9a-zA-Z]{1,55}$`)
	genClientIDRE   = regexp.MustCompile(`^[a-z0-9]{1,128}$`)
	genUsernameRE   = regexp.MustCompile(`^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$`)
	genEmailRE      = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

// cognitoFlags are the flags every trigger has.
type cognitoFlags struct {
	scope    scope
	poolID   string
	clientID string
	username string
	email    string
}

func (c *cognitoFlags) register(fs *flag.FlagSet) {
	c.scope.register(fs, false, false)
	fs.StringVar(&c.poolID, "user-pool-id", "", "user pool id, REGION_ID (default one of --region)")
	fs.StringVar(&c.clientID, "client-id", "", "app client id (default a 26-character one)")
	fs.StringVar(&c.username, "username", "jdoe", "user name")
	fs.StringVar(&c.email, "email", "jdoe@example.com", "the user's email attribute")
}

// header validates the flags and returns the header of the trigger.
func (c *cognitoFlags) header(ids *IDSource, trigger string) (events.CognitoEventUserPoolsHeader, error) {
	var h events.CognitoEventUserPoolsHeader
	if err := c.scope.validate(); err != nil {
		return h, err
	}
	pool := c.poolID
	if pool == "" {
		pool = c.scope.region + "_" + ids.of(upperAlnum+lowerAlnum[:26], 9)
	} else if !genUserPoolIDRE.MatchString(pool) {
		return h, usage("bad --user-pool-id %q, want REGION_ID such as us-east-1_AbCdEf123", pool)
	} else if !strings.HasPrefix(pool, c.scope.region+"_") {
		return h, usage("--user-pool-id %q is not in --region %s", pool, c.scope.region)
	}
	client := c.clientID
	if client == "" {
		client = ids.of(lowerAlnum, 26)
	} else if !genClientIDRE.MatchString(client) {
		return h, usage("bad --client-id %q, want lowercase letters and digits", client)
	}
	if !genUsernameRE.MatchString(c.username) {
		return h, usage("bad --username %q, want 1 to 128 characters, no spaces", c.username)
	}
	if !genEmailRE.MatchString(c.email) {
		return h, usage("bad --email %q", c.email)
	}
	return events.CognitoEventUserPoolsHeader{
		Version:       "1",
		TriggerSource: trigger,
		Region:        c.scope.region,
		UserPoolID:    pool,
		CallerContext: events.CognitoEventUserPoolsCallerContext{AWSSDKVersion: "aws-sdk-unknown-unknown", ClientID: client},
		UserName:      c.username,
	}, nil
}

func defineCognitoPreSignup(fs *flag.FlagSet) func(*IDSource) (any, error) {
	var c cognitoFlags
	c.register(fs)
	return func(ids *IDSource) (any, error) {
		h, err := c.header(ids, "PreSignUp_SignUp")
		if err != nil {
			return nil, err
		}
		return events.CognitoEventUserPoolsPreSignup{
			CognitoEventUserPoolsHeader: h,
			Request: events.CognitoEventUserPoolsPreSignupRequest{
				UserAttributes: map[string]string{"email": c.email},
				ValidationData: nil,
				ClientMetadata: nil,
			},
		}, nil
	}
}

// userAttributes are a confirmed user's attributes.
func (c *cognitoFlags) userAttributes(ids *IDSource) map[string]string {
	return map[string]string{
		"sub":                 ids.uuid(),
		"email":               c.email,
		"email_verified":      "true",
		"cognito:user_status": "CONFIRMED",
	}
}

func defineCognitoPostConfirmation(fs *flag.FlagSet) func(*IDSource) (any, error) {
	var c cognitoFlags
	c.register(fs)
	return func(ids *IDSource) (any, error) {
		h, err := c.header(ids, "PostConfirmation_ConfirmSignUp")
		if err != nil {
			return nil, err
		}
		return events.CognitoEventUserPoolsPostConfirmation{
			CognitoEventUserPoolsHeader: h,
			Request:                     events.CognitoEventUserPoolsPostConfirmationRequest{UserAttributes: c.userAttributes(ids)},
		}, nil
	}
}

func defineCognitoPreTokenGen(fs *flag.FlagSet) func(*IDSource) (any, error) {
	var c cognitoFlags
	c.register(fs)
	groups := fs.String("groups", "", "comma-separated groups the user is in")
	return func(ids *IDSource) (any, error) {
		h, err := c.header(ids, "TokenGeneration_Authentication")
		if err != nil {
			return nil, err
		}
		inGroups := []string{}
		if *groups != "" {
			for _, g := range strings.Split(*groups, ",") {
				if g == "" || len(g) > 128 || strings.ContainsAny(g, " \t\r\n") {
					return nil, usage("bad group %q in --groups, want 1 to 128 characters, no spaces", g)
				}
				inGroups = append(inGroups, g)
			}
		}
		return events.CognitoEventUserPoolsPreTokenGen{
			CognitoEventUserPoolsHeader: h,
			Request: events.CognitoEventUserPoolsPreTokenGenRequest{
				UserAttributes: c.userAttributes(ids),
				GroupConfiguration: events.GroupConfiguration{
					GroupsToOverride:   inGroups,
					IAMRolesToOverride: []string{},
				},
			},
		}, nil
	}
}
