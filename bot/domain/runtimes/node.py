"""Node.js: detection (package.json, .nvmrc, engines, lockfile) and its Dockerfile template."""

from __future__ import annotations

from bot.domain.runtimes import images
from bot.domain.runtimes.model import Bundle, Detection
from bot.domain.runtimes.render import Spec, tail
from bot.domain.runtimes.versions import choose

_CODENAMES = {"hydrogen": "18", "iron": "20", "jod": "22", "krypton": "24"}
# Lockfiles in order of precedence when several are present.
_LOCKS = {
    "pnpm-lock.yaml": "pnpm",
    "yarn.lock": "yarn",
    "package-lock.json": "npm",
    "npm-shrinkwrap.json": "npm",
}
# (install everything, then keep only production dependencies)
_INSTALL = {
    "npm": ("npm ci", "npm prune --omit=dev"),
    "yarn": ("yarn install --frozen-lockfile", "yarn install --frozen-lockfile --production"),
    "yarn-berry": ("yarn install --immutable", "yarn workspaces focus --all --production"),
    "pnpm": ("pnpm install --frozen-lockfile", "pnpm prune --prod"),
}


def _requested(bundle: Bundle) -> tuple[str | None, str | None]:
    for name in (".nvmrc", ".node-version"):
        text = bundle.text(name).strip()
        if text:
            alias = text.lower().removeprefix("lts/")
            if alias in ("*", "node", "stable", "latest"):
                return None, name
            return _CODENAMES.get(alias, text), name
    engines = bundle.json("package.json").get("engines")
    if isinstance(engines, dict) and isinstance(engines.get("node"), str):
        return engines["node"], "package.json engines.node"
    return None, None


def _tool(bundle: Bundle, reasons: list[str], warnings: list[str]) -> tuple[str, str | None]:
    declared = bundle.json("package.json").get("packageManager")
    locks = [name for name in _LOCKS if bundle.has(name)]
    lock = locks[0] if locks else None
    if isinstance(declared, str) and declared.split("@")[0] in ("npm", "yarn", "pnpm"):
        tool = declared.split("@")[0]
        reasons.append(f"package.json packageManager is {declared}")
        lock = next((name for name in locks if _LOCKS[name] == tool), None)
    elif lock:
        tool = _LOCKS[lock]
        reasons.append(f"lockfile {lock} → {tool}")
    else:
        tool = "npm"
    if len({_LOCKS[name] for name in locks}) > 1:
        warnings.append(f"Several lockfiles ({', '.join(locks)}); the build follows {lock}.")
    if lock is None:
        warnings.append("No lockfile: dependencies are resolved afresh, so versions may differ.")
    berry = bundle.has(".yarnrc.yml") or (
        isinstance(declared, str) and declared.startswith("yarn@") and not declared[5:6] == "1"
    )
    return ("yarn-berry" if tool == "yarn" and berry else tool), lock


def detect(bundle: Bundle) -> Detection | None:
    """Detect a Node.js app from package.json, or return None."""
    if not bundle.has("package.json"):
        return None
    reasons = ["package.json"]
    warnings: list[str] = []
    requested, source = _requested(bundle)
    choice = choose(requested, list(images.NODE), default="24", name="Node.js")
    reasons.append(
        f"{source} asks for {requested} → Node.js {choice.line}"
        if requested
        else f"no Node.js version pinned → {choice.line} (the active LTS)"
    )
    warnings += [choice.warning] if choice.warning else []
    tool, lock = _tool(bundle, reasons, warnings)
    scripts = bundle.json("package.json").get("scripts")
    has_build = isinstance(scripts, dict) and "build" in scripts
    if has_build:
        reasons.append("package.json has a build script → a build stage runs it")
    return Detection(
        runtime="node",
        version=choice.line,
        requested=requested,
        tool=tool,
        lockfile=lock,
        build_script=has_build,
        reasons=reasons,
        warnings=warnings,
    )


def template(spec: Spec) -> list[str]:
    """Return the Dockerfile lines for a Node.js app (multi-stage when there is a build)."""
    detection = spec.detection
    image = images.NODE[detection.version or "24"]
    tool = detection.tool or "npm"
    install, prune = _INSTALL[tool]
    if tool == "npm" and detection.lockfile is None:
        install = "npm install"
    if not detection.build_script and tool == "npm":
        manifests = " ".join(
            ["package.json", *([detection.lockfile] if detection.lockfile else [])]
        )
        return [
            f"FROM {image}",
            "ENV NODE_ENV=production",
            "WORKDIR /app",
            f"COPY --chown=node:node {manifests} ./",
            f"RUN {install} --omit=dev",
            "COPY --chown=node:node . .",
            *tail(spec, user="node", probe=probe(spec.health_url)),
        ]
    runner = "npm" if tool == "npm" else tool.removesuffix("-berry")
    return [
        f"FROM {image} AS build",
        "WORKDIR /app",
        *([] if tool == "npm" else ["RUN corepack enable"]),
        "COPY . .",
        f"RUN {install}",
        *([f"RUN {runner} run build"] if detection.build_script else []),
        f"RUN {prune}",
        "",
        f"FROM {image}",
        "ENV NODE_ENV=production",
        "WORKDIR /app",
        "COPY --from=build --chown=node:node /app /app",
        *tail(spec, user="node", probe=probe(spec.health_url)),
    ]


def probe(url: str) -> list[str]:
    """Return a probe using Node's own fetch (the slim image has neither curl nor wget)."""
    script = (
        "fetch(process.argv[1],{signal:AbortSignal.timeout(4000)})"
        ".then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
    )
    return ["node", "-e", script, url]
