# Sourced by the fetch scripts that take jars from Maven Central (Kafka's broker, pgjdbc).
#
# copy_maven_dependencies POM DEST WHAT JAR: copies the runtime dependencies POM lists into DEST
# and prints DEST. Maven's own cache (~/.m2) makes a second run quick; the copy goes to a side
# folder renamed at the end and marked complete, so an interrupted run never looks finished and a
# finished one is not redone. JAR is a file that must be among them (the check that the copy holds
# what the caller came for); WHAT names it in the one error a machine without Maven gets.
copy_maven_dependencies() {
  local pom="$1" dest="$2" what="$3" jar="$4"
  if [ ! -f "$dest/.complete" ]; then
    command -v mvn >/dev/null || { echo "fetch.sh: Maven (mvn) is needed to fetch $what" >&2; return 1; }
    rm -rf "$dest" "$dest.partial"
    mkdir -p "$dest.partial"
    mvn -B -q -f "$pom" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dest.partial" >&2
    ls "$dest.partial/$jar" >/dev/null
    touch "$dest.partial/.complete"
    mv "$dest.partial" "$dest"
  fi
  echo "$dest"
}
