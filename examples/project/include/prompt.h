#define PROMPT "repl> "
