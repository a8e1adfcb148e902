;;; advisor.el --- Advisor (cloud cost for IaC) language server with Eglot  -*- lexical-binding: t; -*-

;; Licensed under the Apache License, Version 2.0.

;;; Commentary:

;; Registers `advisor serve' with Eglot for Terraform buffers (terraform-mode, hcl-mode,
;; terraform-ts-mode), CloudFormation buffers in cfn-mode, and YAML and JSON buffers whose content is a
;; CloudFormation template (or a Terraform plan export), whatever their name: in those buffers
;; Advisor is the buffer's Eglot server (Eglot runs one per buffer), other YAML and JSON buffers keep
;; theirs.  `advisor-template-modes' lists the modes looked at.  Diagnostics arrive through Flymake,
;; quick fixes through `eglot-code-actions' (M-x eglot-code-action-quickfix on Eglot 1.10+), the cost
;; breakdown through ElDoc on hover.
;;
;;   (load "/path/to/editors/emacs/advisor.el")
;;   (add-hook 'terraform-mode-hook #'eglot-ensure)
;;
;; Without a Terraform major mode installed, `.tf', `.tfvars' and `.tf.json' files open in
;; `advisor-terraform-mode', a minimal mode that only exists so that Eglot knows which server to use.
;; Works with Eglot 1.9 (Debian's elpa-eglot for Emacs 28) and the Eglot built into Emacs 29+.

;;; Code:

(require 'cl-lib)

(defgroup advisor nil
  "Advisor: cloud cost for Terraform and CloudFormation."
  :group 'tools
  :prefix "advisor-")

(defcustom advisor-server-command '("advisor" "serve")
  "Command that starts the Advisor language server.
Use (\"python3\" \"-m\" \"advisor\" \"serve\") when the `advisor' script is not on `exec-path'."
  :type '(repeat string))

(defcustom advisor-settings
  '(:debounceMs 150 :codeLens t :inlayHints :json-false :explain (:enabled :json-false))
  "Server settings, sent as initializationOptions (the \"advisor\" section).
Keys as in the VS Code settings: :region \"eu-west-1\", :rules (:disable [\"ec2-graviton\"]
:severity (:lambda-arm64 \"hint\")), :debounceMs, :inlayHints, :codeLens, :explain (:enabled).
Use :json-false for false; vectors for lists."
  :type 'plist)

(defcustom advisor-major-modes
  '(terraform-mode hcl-mode terraform-ts-mode hcl-ts-mode advisor-terraform-mode cfn-mode)
  "Major modes whose buffers Eglot connects to the Advisor server."
  :type '(repeat symbol))

(defcustom advisor-template-modes
  '(yaml-mode yaml-ts-mode json-mode json-ts-mode js-json-mode)
  "Major modes of buffers that get the Advisor server when their content is a template.
A template names `AWSTemplateFormatVersion' or declares AWS:: resource types in its first
256 KB; a Terraform plan export starts with its format and Terraform versions."
  :type '(repeat symbol))

(defcustom advisor-template-eglot t
  "Whether a YAML or JSON buffer that is a template starts Eglot by itself."
  :type 'boolean)

(defconst advisor--head-chars (* 256 1024)
  "How much of a buffer `advisor-template-p' reads: templates say what they are early.")

(defun advisor-template-p ()
  "Non-nil when the buffer is a CloudFormation template or a Terraform plan export.
The server's own cheap test, on the first `advisor--head-chars' characters."
  (save-excursion
    (save-restriction
      (widen)
      (let ((end (min (point-max) (+ (point-min) advisor--head-chars)))
            (case-fold-search nil))
        (goto-char (point-min))
        (or (search-forward "AWSTemplateFormatVersion" end t)
            (and (progn (goto-char (point-min)) (search-forward "Resources" end t))
                 (progn (goto-char (point-min))
                        (re-search-forward "AWS::[A-Za-z0-9]+::[A-Za-z0-9]+" end t)))
            (let ((start-end (min end (+ (point-min) 4096))))
              (goto-char (point-min))
              (and (looking-at "[ \t\r\n]*{")
                   (search-forward "\"format_version\"" start-end t)
                   (progn (goto-char (point-min))
                          (search-forward "\"terraform_version\"" start-end t)))))))))

(defun advisor-maybe-template ()
  "In a YAML or JSON buffer that is a template, make Advisor this buffer's Eglot server.
Runs from the hooks of `advisor-template-modes'; starts Eglot when `advisor-template-eglot' is set."
  (when (and buffer-file-name (advisor-template-p))
    (defvar eglot-server-programs)
    (setq-local eglot-server-programs
                (cons (cons (list major-mode) #'advisor--contact)
                      (and (boundp 'eglot-server-programs) (default-value 'eglot-server-programs))))
    (when (and advisor-template-eglot (fboundp 'eglot-ensure))
      (eglot-ensure))
    t))

(define-derived-mode advisor-terraform-mode prog-mode "Terraform"
  "Minimal mode for Terraform files when no Terraform major mode is installed."
  (setq-local comment-start "# ")
  (setq-local comment-start-skip "\\(?:#+\\|//+\\)\\s-*"))

(defun advisor--contact (&optional _interactive)
  "The Eglot contact: the server command and its initializationOptions."
  (append advisor-server-command (list :initializationOptions advisor-settings)))

(defun advisor-setup ()
  "Register the Advisor server with Eglot and the fallback mode for Terraform files."
  (interactive)
  (unless (fboundp 'terraform-mode)
    (dolist (pattern '("\\.tf\\'" "\\.tfvars\\'" "\\.tf\\.json\\'"))
      (add-to-list 'auto-mode-alist (cons pattern #'advisor-terraform-mode))))
  (dolist (mode advisor-template-modes)
    (add-hook (intern (format "%s-hook" mode)) #'advisor-maybe-template))
  (with-eval-after-load 'eglot
    (defvar eglot-server-programs)
    (setq eglot-server-programs
          (cons (cons advisor-major-modes #'advisor--contact)
                (cl-remove-if (lambda (entry) (equal (car entry) advisor-major-modes))
                              eglot-server-programs)))))

(advisor-setup)

(provide 'advisor)
;;; advisor.el ends here
