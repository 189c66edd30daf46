module devserver.local/faultproxy

go 1.22
