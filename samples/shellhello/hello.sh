# The ShellHello handler: {"name":"Ada"} gives {"message":"Hello, Ada!"}, like
# the Go Hello sample. Plain bash and sed, no JSON tool: the name is the
# first "name" string member of the event.
handler() {
	local event="$1" name
	name="$(printf '%s' "$event" | sed -n 's/.*"name"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' | head -n 1)"
	echo "shellhello: greeting ${name:-world}" >&2
	printf '{"message":"Hello, %s!"}' "${name:-world}"
}
