module github.com/frescolabs/fresco

go 1.26
