module github.com/resource-server/resource-server

go 1.26.8

require (
	github.com/go-jose/go-jose/v4 v4.1.8 // indirect
	github.com/rs/cors v1.11.1 // indirect
)
