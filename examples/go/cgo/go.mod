module example.com/cgoadd

go 1.18
