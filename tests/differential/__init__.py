"""The differential harness: run crash command lines through crashsh and the crash oracle."""
