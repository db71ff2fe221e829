// webhook-receiver decodes every POST into Alertmanager's own notify/webhook.Message, refusing
// unknown fields, so a test proves that Sightline's payload is one an Alertmanager receiver reads.
// It prints each accepted message as one JSON line on stdout, and answers 400 with the decode
// error otherwise. Usage: webhook-receiver -listen 127.0.0.1:0 (the bound address is printed first).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"

	"github.com/prometheus/alertmanager/notify/webhook"
	"github.com/prometheus/common/model"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	flag.Parse()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("listening %s\n", ln.Addr().String())
	var out sync.Mutex
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		decoder := json.NewDecoder(r.Body)
		decoder.DisallowUnknownFields()
		var msg webhook.Message
		if err := decoder.Decode(&msg); err != nil {
			out.Lock()
			fmt.Printf("rejected %s\n", err)
			out.Unlock()
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if problem := check(&msg); problem != "" {
			out.Lock()
			fmt.Printf("rejected %s\n", problem)
			out.Unlock()
			http.Error(w, problem, http.StatusBadRequest)
			return
		}
		// Re-encoded from the decoded struct, so the test sees what Alertmanager's types kept
		// (times parsed as time.Time, for one).
		line, _ := json.Marshal(msg)
		out.Lock()
		fmt.Printf("accepted %s\n", line)
		out.Unlock()
		w.WriteHeader(http.StatusOK)
	})
	if err := http.Serve(ln, handler); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// check holds the message to what Alertmanager itself would send: version 4, known statuses, a
// start time, and each alert's fingerprint being that of its labels (prometheus/common model).
func check(msg *webhook.Message) string {
	if msg.Data == nil || msg.Version != "4" {
		return "not a version 4 message"
	}
	if msg.Status != "firing" && msg.Status != "resolved" {
		return fmt.Sprintf("status %q", msg.Status)
	}
	for _, alert := range msg.Alerts {
		if alert.Status != "firing" && alert.Status != "resolved" {
			return fmt.Sprintf("alert status %q", alert.Status)
		}
		if alert.StartsAt.IsZero() {
			return "an alert without startsAt"
		}
		if alert.Status == "resolved" && alert.EndsAt.Before(alert.StartsAt) {
			return "a resolved alert ending before it started"
		}
		labels := model.LabelSet{}
		for name, value := range alert.Labels {
			labels[model.LabelName(name)] = model.LabelValue(value)
		}
		if got := labels.Fingerprint().String(); got != alert.Fingerprint {
			return fmt.Sprintf("fingerprint %s, but the labels' is %s", alert.Fingerprint, got)
		}
	}
	return ""
}
