# Multi-stage build: a static binary (pure-Go SQLite, no cgo) on distroless.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/hindsight . \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/hindsight /usr/local/bin/hindsight
# The SQLite default lives in /data; with PostgreSQL nothing is written locally.
COPY --from=build --chown=nonroot:nonroot /out/data /data
WORKDIR /data
ENV HINDSIGHT_ADDR=:8080 \
    DATABASE_URL=sqlite:/data/hindsight.db
USER nonroot:nonroot
EXPOSE 8080
VOLUME ["/data"]
ENTRYPOINT ["/usr/local/bin/hindsight"]
CMD ["serve"]
