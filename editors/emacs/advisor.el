;;; advisor.el --- Advisor (cloud cost for IaC) language server with Eglot  -*- lexical-binding: t; -*-

;; Licensed under the Apache License, Version 2.0.

;;; Commentary:

;; Registers `advisor serve' with Eglot for Terraform buffers (terraform-mode, hcl-mode,
;; terraform-ts-mode) and CloudFormation buffers in cfn-mode.  Diagnostics arrive through Flymake,
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
  (with-eval-after-load 'eglot
    (defvar eglot-server-programs)
    (setq eglot-server-programs
          (cons (cons advisor-major-modes #'advisor--contact)
                (cl-remove-if (lambda (entry) (equal (car entry) advisor-major-modes))
                              eglot-server-programs)))))

(advisor-setup)

(provide 'advisor)
;;; advisor.el ends here
