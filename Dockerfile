# The hostplane image: `hostplane operator` and `hostplane syncer` (dist/install.yaml runs both
# from it). Build: docker build -t ghcr.io/hostplane/hostplane:<version> .
FROM docker.io/library/node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM docker.io/library/node:20-bookworm-slim
# The syncer runs real git over https and ssh.
RUN apt-get update \
  && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/build/src ./build/src
# The UID the install's securityContext names (runAsUser 10001); no home, no shell, owns nothing.
RUN groupadd --gid 10001 hostplane \
  && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin hostplane
USER 10001:10001
ENTRYPOINT ["node", "/app/build/src/cli/main.js"]
