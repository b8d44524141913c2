# syntax=docker/dockerfile:1
#
# Build:  docker build -t cyclr-onboarder:0.1.0 .
# Run:    docker run --rm -p 8080:8080 -v onboarder-data:/app/data \
#           -e API_TOKENS=... -e STORE_SECRET_KEY="$(openssl rand -base64 32)" ... cyclr-onboarder:0.1.0
# Needs BuildKit (the default builder of current Docker / Podman) for the cache mount and COPY --chmod.

############################ build ############################
FROM eclipse-temurin:17-jdk AS build
WORKDIR /build

# Wrapper and POM first, so a source-only change keeps these layers.
COPY --chmod=0755 mvnw ./
COPY .mvn/ .mvn/
COPY pom.xml ./
COPY src/ src/

# The Maven distribution (~/.m2/wrapper) and the local repository are cached between builds.
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -ntp -DskipTests package

############################ runtime ############################
FROM eclipse-temurin:17-jre

# Fixed, non-root uid/gid 10001 (matches runAsUser/runAsGroup/fsGroup in k8s/base/deployment.yaml).
RUN groupadd --system --gid 10001 onboarder \
 && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home \
            --shell /usr/sbin/nologin onboarder \
 && mkdir -p /app/data \
 && chown 10001:10001 /app/data

WORKDIR /app

# Application files stay root-owned and read-only for the service user.
COPY --from=build /build/target/cyclr-onboarder.jar /app/cyclr-onboarder.jar
COPY --chmod=0755 bin/cyclr-onboarder /app/bin/cyclr-onboarder
COPY conf/ /app/conf/

# SQLite database (default STORE_URL sqlite:data/onboarder.db, relative to /app).
VOLUME /app/data

USER 10001:10001
EXPOSE 8080

# The launcher the README runs, with the same JVM settings (C1 JIT only, serial GC, heap from 16 MB up to
# 512 MB; ONBOARDER_JVM_OPTIONS replaces them, as k8s/base does). It execs java: java is PID 1 and receives
# SIGTERM directly (graceful drain on stop).
ENTRYPOINT ["/app/bin/cyclr-onboarder"]
CMD ["serve"]
