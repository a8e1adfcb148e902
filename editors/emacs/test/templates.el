;;; templates.el --- Which YAML and JSON buffers get the Advisor server  -*- lexical-binding: t; -*-

;; emacs --batch -l editors/emacs/advisor.el -l editors/emacs/test/templates.el
;; Templates and plan exports are recognised by content, whatever their name; other YAML and JSON
;; buffers keep their own Eglot server.  Exits 0 when all passed, 1 otherwise.

;;; Code:

(defvar advisor-test--cases
  '(("aws-refarch-wordpress-04-web.yaml" "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n" t)
    ("web.yaml" "Description: x\nResources:\n  Web:\n    Type: AWS::EC2::Instance\n" t)
    ("stack.json" "{\"Resources\": {\"Q\": {\"Type\": \"AWS::SQS::Queue\"}}}" t)
    ("plan.json" "{\"format_version\":\"1.2\",\"terraform_version\":\"1.9.0\",\"planned_values\":{}}" t)
    ("docker-compose.yaml" "services:\n  web:\n    image: nginx\n" nil)
    ("package.json" "{\"name\": \"x\", \"Resources\": \"none\"}" nil)))

(let ((failed 0))
  (dolist (case advisor-test--cases)
    (with-temp-buffer
      (insert (nth 1 case))
      (setq buffer-file-name (expand-file-name (car case) temporary-file-directory))
      (let* ((advisor-template-eglot nil)
             (claimed (and (advisor-maybe-template) t))
             (contact (and (local-variable-p 'eglot-server-programs)
                           (cdr (car eglot-server-programs)))))
        (if (and (eq claimed (nth 2 case))
                 (eq (eq contact #'advisor--contact) (nth 2 case)))
            (message "ok: %s %s" (car case) (if claimed "gets advisor" "left alone"))
          (setq failed (1+ failed))
          (message "FAILED: %s claimed=%s contact=%s" (car case) claimed contact)))
      (set-buffer-modified-p nil)
      (setq buffer-file-name nil)))
  (dolist (mode advisor-template-modes)
    (unless (memq #'advisor-maybe-template (symbol-value (intern (format "%s-hook" mode))))
      (setq failed (1+ failed))
      (message "FAILED: no hook on %s" mode)))
  (kill-emacs (if (= failed 0) 0 1)))

;;; templates.el ends here
