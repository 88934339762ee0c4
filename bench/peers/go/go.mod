module pieces-peer-go

go 1.19
