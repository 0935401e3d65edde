module example.com/vendored

go 1.18

require example.com/greet v0.1.0
