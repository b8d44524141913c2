@echo off
rem Runs cyclr-onboarder with the JVM settings it is measured and shipped with (see bin/cyclr-onboarder and
rem docs/operations.md, "JVM settings"). ONBOARDER_JVM_OPTIONS replaces them; ONBOARDER_JAR names the jar.
setlocal
set "HERE=%~dp0"
if "%ONBOARDER_JAR%"=="" set "ONBOARDER_JAR=%HERE%..\target\cyclr-onboarder.jar"
if "%ONBOARDER_JVM_OPTIONS%"=="" set "ONBOARDER_JVM_OPTIONS=-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xms16m -Xmx512m -XX:+ExitOnOutOfMemoryError"
set "JAVA=java"
if not "%JAVA_HOME%"=="" set "JAVA=%JAVA_HOME%\bin\java"
"%JAVA%" %ONBOARDER_JVM_OPTIONS% -jar "%ONBOARDER_JAR%" %*
