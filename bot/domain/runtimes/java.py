"""Java: detection (a built jar, Maven, Gradle; the Java release) and its Dockerfile template."""

from __future__ import annotations

import re

from bot.domain.runtimes import images
from bot.domain.runtimes.model import Bundle, Detection
from bot.domain.runtimes.render import APP_UID, Spec, debian_user, tail
from bot.domain.runtimes.versions import choose

_JAR_FOLDERS = ("", "target", "build/libs")
_NOT_RUNNABLE = ("-sources.jar", "-javadoc.jar", "-plain.jar", "-tests.jar")
_GRADLE = ("build.gradle", "build.gradle.kts")
_VERSION_PATTERNS = (
    r"<maven\.compiler\.release>\s*([\d.]+)",
    r"<java\.version>\s*([\d.]+)",
    r"<release>\s*([\d.]+)\s*</release>",
    r"<maven\.compiler\.(?:source|target)>\s*([\d.]+)",
    r"JavaLanguageVersion\.of\(\s*(\d+)",
    r"JavaVersion\.VERSION_(\d+(?:_\d+)?)",
    r"(?:source|target)Compatibility\s*=\s*['\"]?([\d.]+)",
)


def _requested(bundle: Bundle) -> tuple[str | None, str | None]:
    for name in (".java-version", ".sdkmanrc"):
        match = re.search(r"(?:java=)?(\d+(?:\.\d+)*)", bundle.text(name))
        if match:
            return match.group(1), name
    for name in ("pom.xml", *_GRADLE):
        for pattern in _VERSION_PATTERNS:
            match = re.search(pattern, bundle.text(name))
            if match:
                return match.group(1).replace("_", "."), name
    return None, None


def _major(requested: str | None) -> str | None:
    """Return the Java major release of ``1.8``-style or ``17.0.2``-style versions."""
    if not requested:
        return None
    parts = requested.split(".")
    return parts[1] if parts[0] == "1" and len(parts) > 1 else parts[0]


def _jars(bundle: Bundle) -> list[str]:
    return [
        path
        for path in bundle.matching(suffix=".jar", under=_JAR_FOLDERS)
        if not path.endswith(_NOT_RUNNABLE) and not path.startswith(".mvn/")
    ]


def detect(bundle: Bundle) -> Detection | None:
    """Detect a Java app from a built jar, pom.xml or build.gradle, or return None."""
    jars = _jars(bundle)
    maven, gradle = bundle.has("pom.xml"), bundle.has(*_GRADLE)
    wars = bundle.matching(suffix=".war", under=_JAR_FOLDERS)
    build_files = "\n".join(bundle.text(name) for name in ("pom.xml", *_GRADLE))
    if not (jars or maven or gradle or wars):
        return None
    if not jars and (wars or "<packaging>war</packaging>" in build_files):
        return Detection(
            runtime=None,
            reasons=["a WAR (web archive)"],
            unsupported="The app is a WAR, which needs a servlet container (Tomcat, Jetty); "
            "build an image with one and migrate with --image.",
        )
    requested, source = _requested(bundle)
    choice = choose(_major(requested), list(images.JAVA_JRE), default="21", name="Java")
    reasons: list[str] = []
    if jars:
        tool, wrapper = "jar", False
        reasons.append(
            f"built jar {', '.join(jars)}: the image runs the bytes production runs, no rebuild"
            + (" (the build file is there too)" if maven or gradle else "")
        )
    elif maven and (bundle.has("mvnw") or not bundle.has("gradlew")):
        tool, wrapper = "maven", bundle.has("mvnw")
        reasons.append("pom.xml → Maven" + (" (both Maven and Gradle files)" if gradle else ""))
    else:
        tool, wrapper = "gradle", bundle.has("gradlew")
        reasons.append(
            "build.gradle → Gradle" + (" (its wrapper wins over pom.xml)" if maven else "")
        )
    reasons.append(
        f"{source} asks for Java {requested} → Temurin {choice.line}"
        if requested
        else f"no Java release named → Temurin {choice.line} (LTS)"
    )
    return Detection(
        runtime="java",
        version=choice.line,
        requested=requested,
        tool=tool,
        wrapper=wrapper,
        build_script=tool != "jar",
        reasons=reasons,
        warnings=[choice.warning] if choice.warning else [],
    )


def _build_stage(detection: Detection) -> list[str]:
    release = detection.version or "21"
    if detection.tool == "maven":
        image = images.JAVA_JDK[release] if detection.wrapper else images.MAVEN[release]
        command = "chmod +x mvnw && ./mvnw" if detection.wrapper else "mvn"
        run = f"RUN {command} --batch-mode -DskipTests package"
    else:
        image = images.JAVA_JDK[release] if detection.wrapper else images.GRADLE[release]
        command = "chmod +x gradlew && ./gradlew" if detection.wrapper else "gradle"
        run = f"RUN {command} --no-daemon build -x test"
    return [f"FROM {image} AS build", "WORKDIR /app", "COPY . .", run, ""]


def template(spec: Spec) -> list[str]:
    """Return the Dockerfile lines for a Java app on a Temurin JRE (a build stage for sources)."""
    detection = spec.detection
    built = detection.tool != "jar"
    owner = f"--chown={APP_UID}:{APP_UID}"
    return [
        *(_build_stage(detection) if built else []),
        f"FROM {images.JAVA_JRE[detection.version or '21']}",
        debian_user(),
        "WORKDIR /app",
        f"COPY --from=build {owner} /app /app" if built else f"COPY {owner} . .",
        *tail(spec, user=f"{APP_UID}:{APP_UID}", probe=probe(spec.port, spec.health_path)),
    ]


def probe(port: int, path: str) -> list[str]:
    """Return a probe in bash over /dev/tcp (Temurin's Ubuntu image has bash, not curl)."""
    script = (
        'exec 3<>"/dev/tcp/127.0.0.1/$1" '
        '&& printf "GET %s HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n" "$2" >&3 '
        '&& head -n 1 <&3 | grep -q " 2[0-9][0-9] "'
    )
    return ["bash", "-c", script, "healthcheck", str(port), path]
