;;; e2e.el --- Eglot + advisor.el against the real server, in batch mode  -*- lexical-binding: t; -*-

;; emacs --batch -l editors/emacs/advisor.el -l editors/emacs/test/e2e.el
;; Environment: ADVISOR_BIN (the advisor executable), ADVISOR_EXAMPLE (the main.tf to copy).
;; Opens a copy of the example with Eglot, waits for the ebs-io1-to-gp3 diagnostic (Flymake), asks for
;; the code actions there, applies the preferred quick fix, saves and checks the file.  Exit 0 or 1.

;;; Code:

(require 'cl-lib)
(require 'eglot)
(require 'flymake)

(defvar advisor-e2e--start (float-time))

(defun advisor-e2e--log (fmt &rest args)
  (princ (format "emacs-e2e %6.1f s  %s\n" (- (float-time) advisor-e2e--start) (apply #'format fmt args))))

(defun advisor-e2e--wait (what seconds predicate)
  (let ((deadline (+ (float-time) seconds)) (ok nil))
    (while (and (not (setq ok (funcall predicate))) (< (float-time) deadline))
      (accept-process-output nil 0.1))
    (unless ok (error "Timed out waiting for %s" what))
    ok))

(defun advisor-e2e--diag (rule)
  "The Flymake diagnostic of RULE in the current buffer, or nil."
  (flymake-start)
  (cl-find-if (lambda (d)
                (let ((lsp (cdr (assoc 'eglot-lsp-diag (flymake-diagnostic-data d)))))
                  (equal (plist-get lsp :code) rule)))
              (flymake-diagnostics)))

(defun advisor-e2e--main ()
  (let* ((bin (or (getenv "ADVISOR_BIN") "advisor"))
         (example (or (getenv "ADVISOR_EXAMPLE") "examples/storage/main.tf"))
         (dir (make-temp-file "advisor-emacs-" t))
         (file (expand-file-name "storage/main.tf" dir)))
    (advisor-e2e--log "Emacs %s, Eglot from %s" emacs-version (locate-library "eglot"))
    (make-directory (file-name-directory file) t)
    (copy-file example file)
    (setq advisor-server-command (list bin "serve"))
    (setq advisor-settings '(:debounceMs 50 :codeLens t))
    (find-file file)
    (advisor-e2e--log "opened %s in %s" file major-mode)
    (unless (memq major-mode advisor-major-modes)
      (error "%s is not one of advisor-major-modes" major-mode))
    (apply #'eglot (eglot--guess-contact))
    (advisor-e2e--wait "Eglot to connect" 30 (lambda () (eglot-current-server)))
    (advisor-e2e--log "connected to %s" (jsonrpc-name (eglot-current-server)))
    (advisor-e2e--wait "the ebs-io1-to-gp3 diagnostic" 60 (lambda () (advisor-e2e--diag "ebs-io1-to-gp3")))
    (let* ((diag (advisor-e2e--diag "ebs-io1-to-gp3"))
           (beg (flymake-diagnostic-beg diag))
           (line (line-number-at-pos beg)))
      (advisor-e2e--log "diagnostic on line %d: %s" line (flymake-diagnostic-text diag))
      (unless (= line 15) (error "Diagnostic on line %d, expected 15" line))
      (let* ((actions (eglot-code-actions beg (flymake-diagnostic-end diag) "quickfix"))
             (titles (mapcar (lambda (a) (plist-get a :title)) actions))
             (fix (cl-find "Change io1 to gp3 (saves $637.50/mo)" actions
                           :key (lambda (a) (plist-get a :title)) :test #'equal)))
        (advisor-e2e--log "code actions: %s" (string-join titles " | "))
        (unless fix (error "No 'Change io1 to gp3' action"))
        (unless (eq (plist-get fix :isPreferred) t) (error "The fix is not preferred"))
        (unless (plist-get fix :edit) (error "The action carries no edit"))
        (eglot--apply-workspace-edit (plist-get fix :edit))))
    (save-buffer)
    (let ((text (with-temp-buffer (insert-file-contents file) (buffer-string))))
      (unless (string-match-p "\"scratch\" {\n[^}]*type += \"gp3\"" text)
        (error "The file on disk was not fixed:\n%s" text))
      (unless (string-match-p "\"ledger\" {\n[^}]*type += \"io1\"" text)
        (error "The fix touched the ledger volume"))
      (advisor-e2e--log "file on disk: scratch is gp3, ledger still io1"))
    (advisor-e2e--wait "the fixed diagnostic to go" 30 (lambda () (not (advisor-e2e--diag "ebs-io1-to-gp3"))))
    (advisor-e2e--log "ebs-io1-to-gp3 is gone")
    (let ((hover (jsonrpc-request (eglot-current-server) :textDocument/hover
                                  (list :textDocument (eglot--TextDocumentIdentifier)
                                        :position (list :line 20 :character 12)))))
      (unless (string-match-p "\\$2,725\\.00" (format "%S" hover))
        (error "Hover on the ledger volume: %S" hover))
      (advisor-e2e--log "hover shows the ledger volume's cost table"))
    (eglot-shutdown (eglot-current-server))
    (delete-directory dir t)))

(condition-case err
    (progn
      (advisor-e2e--main)
      (advisor-e2e--log "passed")
      (kill-emacs 0))
  (error
   (princ (format "emacs-e2e FAILED: %s\n" (error-message-string err)) #'external-debugging-output)
   (kill-emacs 1)))

;;; e2e.el ends here
