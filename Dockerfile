# Builds a statically linked overlord and ships it alone: FROM scratch, data in /data.
#   docker build -t overlord .
#   docker run -p 8770:8770 -v overlord-data:/data -e OVERLORD_PLUGIN_SECRET=... overlord
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# The dashboard bundle is committed in assets/, so no Node is needed here.
RUN RUSTFLAGS="-C target-feature=+crt-static" \
    cargo build --release --locked --target x86_64-unknown-linux-gnu \
 && install -D target/x86_64-unknown-linux-gnu/release/overlord /out/overlord \
 && mkdir -p /out/data

FROM scratch
COPY --from=build /out/overlord /overlord
COPY --from=build /out/data /data
VOLUME ["/data"]
EXPOSE 8770
ENV OVERLORD_DATA_DIR=/data OVERLORD_LISTEN=0.0.0.0:8770 OVERLORD_LOG_FORMAT=json
# Inside a container every client arrives from the bridge, never loopback; keep the
# loopback trust rule off so the published port always needs a session.
ENV OVERLORD_TRUST_LOOPBACK=false
ENTRYPOINT ["/overlord"]
CMD ["serve"]
