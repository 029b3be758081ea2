# runctl as a GitOps controller: `runctl sync` in a small image.
#
#   npm pack                                 # builds dist/ and writes runctl-<version>.tgz
#   docker build -t runctl:0.1.0 .           # the build context is that tarball alone (.dockerignore)
#   docker run --rm runctl:0.1.0 sync --repo https://github.com/acme/deploy.git --path prod --project my-proj ...
#
# The image installs the package exactly as a user would (`npm install -g` of the packed
# tarball): no TypeScript, no sources, no build tools. The default command syncs a
# repository mounted at /repo on the embedded emulator, which makes a local try-out a
# one-liner; a real controller passes its own `sync` arguments (examples/runctl-controller.yaml).

# Any current Node.js LTS line (22 or 24): .ci/run smoke-tests the package on both.
ARG NODE_VERSION=24
FROM node:${NODE_VERSION}-bookworm-slim

# git: `sync` fetches with the git command (https, ssh and local repositories alike).
# openssh-client: ssh:// and git@host:org/repo.git remotes. ca-certificates: https remotes.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/*

# Exactly one packed runctl: an old tarball left beside a new one would make the version
# installed a matter of chance, so refuse instead.
COPY runctl-*.tgz /tmp/runctl/
RUN set -eu; \
    set -- /tmp/runctl/runctl-*.tgz; \
    if [ "$#" -ne 1 ]; then echo "the build context must hold exactly one runctl-*.tgz (found $#): run 'rm -f runctl-*.tgz && npm pack' first" >&2; exit 1; fi; \
    npm install --global --omit=dev --no-audit --no-fund "$1"; \
    npm cache clean --force; \
    rm -rf /tmp/runctl; \
    runctl --version

# An unprivileged user (the `node` user of the base image, uid 1000). `sync` keeps no
# local state: it fetches each commit into a private temporary repository and records the
# applied commit on the live resources, so the container's file system can be read-only
# apart from /tmp.
USER node
WORKDIR /home/node
# A repository mounted from the host belongs to another user; git refuses to read such a
# repository unless it is marked safe. Only the default mount point is.
RUN git config --global --add safe.directory /repo

ENV NODE_ENV=production
# /healthz, /readyz and /metrics are served on this port (the command below passes it).
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["runctl"]
CMD ["sync", "--repo=/repo", "--ref=main", "--path=.", "--metrics-host=0.0.0.0", "--metrics-port=8080", "--log-format=json"]
