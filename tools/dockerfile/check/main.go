// Command check reads a Dockerfile on stdin and judges it with the parser and instruction parser of
// the BuildKit release hostplane builds with (go.mod pins it), so a Runtime's Dockerfile is known
// to parse before a tenant's first build finds out. It prints each problem on one line, "line N:
// message", and exits 1; a Dockerfile without problems exits 0 and prints nothing.
//
// BuildKit's lint warnings (the ones its instruction parser raises, and its parser's empty
// continuation lines) count as problems too: a build prints them into every tenant's build log.
package main

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

func main() {
	problems := check()
	for _, problem := range problems {
		fmt.Println(problem)
	}
	if len(problems) > 0 {
		os.Exit(1)
	}
}

// at prefixes a message with the first line of a location, when BuildKit gave one.
func at(ranges []parser.Range, message string) string {
	if len(ranges) == 0 || ranges[0].Start.Line == 0 {
		return message
	}
	return fmt.Sprintf("line %d: %s", ranges[0].Start.Line, message)
}

// instructions.Parse names the line in its message; located names it once, as for every problem.
var lineInMessage = regexp.MustCompile(`^dockerfile parse error on line \d+: `)

func located(err error) string {
	message := lineInMessage.ReplaceAllString(err.Error(), "")
	var location *parser.ErrorLocation
	if errors.As(err, &location) && len(location.Locations) > 0 {
		return at(location.Locations[0], message)
	}
	return message
}

func check() []string {
	result, err := parser.Parse(os.Stdin)
	if err != nil {
		return []string{located(err)}
	}
	var problems []string
	for _, warning := range result.Warnings {
		var location []parser.Range
		if warning.Location != nil {
			location = []parser.Range{*warning.Location}
		}
		problems = append(problems, at(location, warning.Short))
	}
	lint := linter.New(&linter.Config{
		Warn: func(rule, _, _, message string, location []parser.Range) {
			problems = append(problems, at(location, fmt.Sprintf("%s: %s", rule, message)))
		},
	})
	stages, _, err := instructions.Parse(result.AST, lint)
	if err != nil {
		return append(problems, located(err))
	}
	return append(problems, copySources(stages)...)
}

// copySources checks every COPY --from. BuildKit takes a name that is no stage for an image and
// pulls it, so a mistyped stage name becomes a pull of docker.io/library/<typo>; here an image
// must be written in full (registry, repository, tag or digest) and a stage must come earlier.
func copySources(stages []instructions.Stage) []string {
	var problems []string
	earlier := map[string]bool{}
	for index, stage := range stages {
		for _, command := range stage.Commands {
			from, ok := command.(*instructions.CopyCommand)
			if !ok || from.From == "" || earlier[strings.ToLower(from.From)] {
				continue
			}
			// A build argument is only known at build time.
			if strings.Contains(from.From, "$") {
				continue
			}
			if number, err := strconv.Atoi(from.From); err == nil {
				if number < 0 || number >= index {
					problems = append(problems, at(from.Location(), fmt.Sprintf("COPY --from=%s: no earlier stage has that index", from.From)))
				}
				continue
			}
			if _, err := reference.ParseNamed(from.From); err != nil {
				problems = append(problems, at(from.Location(), fmt.Sprintf("COPY --from=%s names no earlier stage, and is no fully qualified image reference (%v)", from.From, err)))
			}
		}
		if stage.Name != "" {
			earlier[strings.ToLower(stage.Name)] = true
		}
	}
	return problems
}
